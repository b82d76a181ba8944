"""Keystone-tier fixtures: a real Keystone 30.0.0 (uWSGI, fernet tokens) on the machine's MariaDB.

Its database and user are this run's own and are dropped afterwards; its venv is cached in
~/.cache/ember (built on first use). ``ember_endpoint`` is the root URL the catalog names for ember:
the tier's ember is to listen there.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator

import pytest
from localcluster.keystone import Keystone
from localcluster.sqladmin import MariaDBAdmin, OwnDatabase

from bench.stack import MARIADB_URL, free_port


@pytest.fixture(scope="session")
def ember_endpoint() -> str:
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture(scope="session")
def keystone(tmp_path_factory: pytest.TempPathFactory, ember_endpoint: str) -> Iterator[Keystone]:
    admin = MariaDBAdmin.for_server(MARIADB_URL)
    name = f"keystone_{uuid.uuid4().hex[:10]}"
    server = Keystone(tmp_path_factory.mktemp("keystone"), port=free_port(),
                      database=OwnDatabase(name=name, user=name, password=secrets.token_hex(12)))
    try:
        server.deploy(admin, ember_endpoint)
        yield server
    finally:
        server.destroy(admin)
