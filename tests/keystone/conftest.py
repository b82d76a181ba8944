"""Keystone-tier fixtures: a real Keystone 30.0.0 (uWSGI, fernet tokens) on the machine's MariaDB, and one
ember-all validating its tokens, shared by the tier's modules.

Keystone's database and user are this run's own and are dropped afterwards; its venv is cached in
~/.cache/ember (built on first use). ``ember_endpoint`` is the root URL the catalog names for ember:
the tier's ember (``keystone_ember``) listens there with ``auth_strategy = keystone``.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator

import pytest
from localcluster.keystone import Keystone, authtoken_section
from localcluster.sqladmin import MariaDBAdmin, OwnDatabase

from bench.stack import MARIADB_URL, EmbeddedStack, free_port
from tests.keystone.callers import PERSONAS, login


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


@pytest.fixture(scope="session")
def logins(keystone: Keystone) -> dict[str, tuple[str, str]]:
    """Persona -> (token, project id), one password login each."""
    return {persona: login(keystone, persona) for persona in PERSONAS}


# two backends: Tempest's multi-backend, migration and retype tests need a second one
BACKENDS = ("file-1", "file-2")


@pytest.fixture(scope="session")
def keystone_ember(keystone: Keystone, ember_endpoint: str, logins: dict[str, tuple[str, str]],
                   tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedStack]:
    """The tier's one ember-all (two file-driver backends, no quota limits) at the catalog's address, validating
    Keystone tokens."""
    shares = tmp_path_factory.mktemp("keystone-shares")
    stack = EmbeddedStack(backend_sections={name: f"volume_driver = file\nfile_share_path = {shares / name}\n"
                                            for name in BACKENDS},
                          quota_volumes=-1, port=int(ember_endpoint.rsplit(":", 1)[1]),
                          extra_conf="auth_strategy = keystone\n",
                          extra_sections=authtoken_section(keystone.authtoken_options()),
                          admin_token=logins["admin"][0]).start()
    yield stack
    stack.close()
