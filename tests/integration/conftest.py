"""Integration-tier fixtures: real MariaDB and RabbitMQ on this machine, own database/vhost per run.

A missing service is an error here, never a skip: CI must run this tier.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from oslo_config import cfg

from bench.stack import MARIADB_URL, SplitStack
from db import migrate, session
from tests.integration.storage_fixtures import (  # noqa: F401  (fixtures)
    nfs_server,
    storage_stack,
    tgtd,
    typed_storage_api,
    volume_group,
)


@pytest.fixture
def mariadb_url(conf: cfg.ConfigOpts) -> Iterator[str]:
    name = f"ember_it_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(MARIADB_URL)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE `{name}`")
    yield f"{MARIADB_URL}/{name}"
    session.dispose()
    with admin.begin() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")
    admin.dispose()


@pytest.fixture
def mariadb(mariadb_url: str, conf: cfg.ConfigOpts) -> str:
    """The DB API configured on a fresh, migrated MariaDB database."""
    migrate.upgrade(session.configure(conf, url=mariadb_url))
    return mariadb_url


@pytest.fixture(scope="module")
def split_file_stack() -> Iterator[SplitStack]:
    stack = SplitStack(driver="file", quota_volumes=50).start()
    yield stack
    stack.close()
