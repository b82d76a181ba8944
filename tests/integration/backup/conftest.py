"""Backup-store fixtures: a real one-node Swift (its proxy also serves S3 through s3api) on ports of its own,
and each store the engine supports, fresh per test (own folder, container or bucket)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from localcluster.swift import KEY, USER, SwiftStore

from backup.stores.base import BackupStore
from backup.stores.posix import PosixStore
from backup.stores.s3 import S3Store
from backup.stores.swift import SwiftStore as SwiftBackupStore

PROXY_PORT, OBJECT_PORT, MEMCACHED_PORT = 18190, 16310, 21321  # not the local cluster's 18080/16200/21211


@pytest.fixture(scope="session")
def swift(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SwiftStore]:
    server = SwiftStore(tmp_path_factory.mktemp("swift"), proxy_port=PROXY_PORT, object_port=OBJECT_PORT,
                        memcached_port=MEMCACHED_PORT)
    server.stop()  # what an interrupted run left
    server.start()
    yield server
    server.stop()


def make_store(kind: str, *, root: Path, name: str) -> BackupStore:
    """A store of ``kind``: the folder ``root`` / the container or bucket ``name`` of the test Swift."""
    if kind == "posix":
        return PosixStore(root)
    if kind == "swift":
        return SwiftBackupStore(auth_url=f"http://127.0.0.1:{PROXY_PORT}/auth/v1.0", user=USER, key=KEY,
                                container=name)
    return S3Store(endpoint_url=f"http://127.0.0.1:{PROXY_PORT}", access_key=USER, secret_key=KEY, bucket=name)


@pytest.fixture(params=["posix", "swift", "s3"])
def store_kind(request: pytest.FixtureRequest) -> str:
    if request.param != "posix":
        request.getfixturevalue("swift")
    return str(request.param)


@pytest.fixture
def store_name() -> str:
    return f"ember-it-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def store(store_kind: str, store_name: str, tmp_path: Path) -> BackupStore:
    return make_store(store_kind, root=tmp_path / "backups", name=store_name)
