"""The backup manager on a real DB (SQLite), store (a folder) and file driver; the volume service's answer
(where a volume's bytes are) comes from the driver in-process instead of over RPC."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from oslo_config import cfg

from backup.engine.create import BackupSettings
from backup.lease import ServiceLease
from backup.manager import BackupManager
from backup.stores.posix import PosixStore
from backup.volume_access import VolumeAccess
from common.context import RequestContext
from db import api as db
from db.records import Volume
from drivers.file import FileDriver
from volume.states.backups import BackupStatus, backup_edge
from volume.states.volumes import Status, edge

HOST = "node@file-1"
CHUNK = 64 * 1024


class InProcessAccess(VolumeAccess):
    def __init__(self, driver: FileDriver) -> None:
        super().__init__(timeout_s=5)
        self._driver = driver

    def location(self, ctx: RequestContext, volume: Volume, snapshot_id: str | None = None) -> tuple[str, str]:
        found = self._driver.data_location(volume.id, snapshot_id=snapshot_id)
        return found.location, found.format


@pytest.fixture
def driver(sqlite_db: str, conf: cfg.ConfigOpts, overrides: Callable[..., None], tmp_path: Path) -> FileDriver:
    overrides("file_share_path", str(tmp_path / "share"), group="file-1")
    overrides("file_capacity_gb", 100, group="file-1")
    driver = FileDriver(conf, "file-1")
    driver.setup()
    return driver


def _manager(driver: FileDriver, tmp_path: Path, node: str, *, ttl_s: float = 60) -> tuple[BackupManager, ServiceLease]:
    manager = BackupManager(node=node, store=PosixStore(tmp_path / "store"),
                            settings=BackupSettings(chunk_size=CHUNK, block_size=4096, workers=1),
                            max_operations=2, access=InProcessAccess(driver))
    lease = ServiceLease(manager.fence, name=manager.name, node=node, ttl_s=ttl_s)
    lease.keep()
    return manager, lease


def _volume(driver: FileDriver, data: bytes) -> Volume:
    volume = db.volume_create(project_id="p", user_id="u", size_gb=1, status=str(Status.CREATING),
                              availability_zone="nova")
    db.volume_update(volume.id, project_id=None, host=f"{HOST}#share")  # placed (no pool is reported here)
    driver.create_volume(volume.id, 1)
    db.volume_transition(volume.id, edge("create.done"))
    path = driver.volume_path(volume.id)
    assert path is not None
    with open(path, "r+b") as f:
        f.write(data)
    return db.volume_get(volume.id)


def _request_backup(volume: Volume, *, parent_id: str | None = None) -> str:
    return db.backup_create(project_id="p", user_id="u", volume_id=volume.id, volume_version=volume.version,
                            volume_claim=edge("backup.begin"), status=str(BackupStatus.CREATING), size_gb=1,
                            parent_id=parent_id).id


def _settle(manager: BackupManager, backup_id: str, *, timeout_s: float = 30) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        manager.poll()
        status = db.backup_get(backup_id).status
        if status not in {"creating", "restoring", "deleting"} and not manager.running():
            return status
        time.sleep(0.02)
    raise AssertionError(f"backup {backup_id} still {db.backup_get(backup_id).status}")


def test_backup_then_restore_into_the_volume_gives_back_its_bytes(driver: FileDriver, tmp_path: Path) -> None:
    manager, _ = _manager(driver, tmp_path, "b1")
    original = os.urandom(5 * CHUNK + 123)
    volume = _volume(driver, original)
    backup_id = _request_backup(volume)
    assert db.volume_get(volume.id).status == Status.BACKING_UP

    assert _settle(manager, backup_id) == BackupStatus.AVAILABLE
    backup = db.backup_get(backup_id)
    assert (backup.host, backup.progress, backup.object_count) == ("backup:b1", 100, 6)
    assert db.volume_get(volume.id).status == Status.AVAILABLE  # given back with the landing

    path = driver.volume_path(volume.id)
    assert path is not None
    with open(path, "r+b") as f:
        f.write(os.urandom(len(original)))
    volume = db.volume_get(volume.id)
    assert db.backup_restore_begin(backup_id, backup_edge=backup_edge("restore.begin"), backup_version=backup.version,
                                   volume_id=volume.id, volume_edge=edge("restore.begin"),
                                   volume_version=volume.version)
    assert db.volume_get(volume.id).status == Status.RESTORING_BACKUP
    assert _settle(manager, backup_id) == BackupStatus.AVAILABLE
    assert db.volume_get(volume.id).status == Status.AVAILABLE
    assert Path(path).read_bytes()[:len(original)] == original


def test_a_failed_restore_leaves_the_backup_available_and_the_volume_error_restoring(
        driver: FileDriver, tmp_path: Path) -> None:
    manager, _ = _manager(driver, tmp_path, "b1")
    volume = _volume(driver, os.urandom(3 * CHUNK))
    backup_id = _request_backup(volume)
    assert _settle(manager, backup_id) == BackupStatus.AVAILABLE
    for chunk in (tmp_path / "store" / backup_id).rglob("*"):
        if chunk.is_file() and "meta" not in chunk.name:
            chunk.write_bytes(chunk.read_bytes()[:-1] + b"\0")  # every chunk damaged
    volume = db.volume_get(volume.id)
    backup = db.backup_get(backup_id)
    db.backup_restore_begin(backup_id, backup_edge=backup_edge("restore.begin"), backup_version=backup.version,
                            volume_id=volume.id, volume_edge=edge("restore.begin"), volume_version=volume.version)
    assert _settle(manager, backup_id) == BackupStatus.AVAILABLE
    assert db.volume_get(volume.id).status == Status.ERROR_RESTORING
    reason = db.backup_get(backup_id).status_reason or ""
    assert reason.startswith("restore backup: ") and "nothing was written" in reason
    messages = db.message_list(project_id="p")
    assert any(m.resource_uuid == backup_id and m.event_id.startswith("VOLUME_VOLUME_BACKUP_015") for m in messages)


def test_a_live_service_adopts_and_finishes_a_dead_peers_backup(driver: FileDriver, tmp_path: Path) -> None:
    volume = _volume(driver, os.urandom(2 * CHUNK))
    backup_id = _request_backup(volume)
    # a service that took the backup and died: its lease runs out, its epoch is passed by the adopter
    dead_epoch = db.backend_lease_claim("backup:dead", node="dead", ttl_s=0.01)
    assert dead_epoch is not None
    assert db.backup_take(statuses=frozenset({"creating"}), host="backup:dead", limit=5)
    time.sleep(0.05)

    survivor, _ = _manager(driver, tmp_path, "alive")
    assert survivor.adopt_dead_peers(lease_ttl_s=5) == 1
    assert db.backend_get("backup:dead").epoch > dead_epoch  # the dead one's late writes are fenced
    assert _settle(survivor, backup_id) == BackupStatus.AVAILABLE
    assert db.backup_get(backup_id).host == "backup:alive"
    assert db.volume_get(volume.id).status == Status.AVAILABLE


def test_a_service_takes_no_more_than_its_slots(driver: FileDriver, tmp_path: Path) -> None:
    volumes = [_volume(driver, os.urandom(CHUNK)) for _ in range(3)]
    backups = [_request_backup(v) for v in volumes]
    taken = db.backup_take(statuses=frozenset({"creating"}), host="backup:x", limit=2)
    assert len(taken) == 2
    assert db.backup_take(statuses=frozenset({"creating"}), host="backup:y", limit=5)[0].id not in {
        t.id for t in taken}
    assert sorted(b.id for b in taken) != sorted(backups)


class SlowStore(PosixStore):
    """A folder store that takes its time per object, so that a stop lands mid-backup."""

    def put(self, name: str, parts: Sequence[bytes | bytearray | memoryview]) -> None:
        time.sleep(0.03)
        super().put(name, parts)


def test_a_clean_stop_hands_running_work_back_and_a_peer_finishes_it(driver: FileDriver, tmp_path: Path) -> None:
    original = os.urandom(40 * CHUNK)
    volume = _volume(driver, original)
    backup_id = _request_backup(volume)
    stopping = BackupManager(node="b1", store=SlowStore(tmp_path / "store"),
                             settings=BackupSettings(chunk_size=CHUNK, block_size=4096, workers=1),
                             max_operations=2, access=InProcessAccess(driver))
    lease = ServiceLease(stopping.fence, name=stopping.name, node="b1", ttl_s=60)
    lease.keep()
    assert stopping.poll() == 1
    deadline = time.monotonic() + 10
    while db.backup_get(backup_id).progress == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    stopping.stop()
    lease.release()
    left = db.backup_get(backup_id)
    assert (left.status, left.host) == (BackupStatus.CREATING, "backup:b1")  # nothing landed
    assert db.volume_get(volume.id).status == Status.BACKING_UP

    peer, _ = _manager(driver, tmp_path, "b2")
    assert peer.adopt_dead_peers(lease_ttl_s=5) == 1  # a released lease is taken over at once
    assert _settle(peer, backup_id) == BackupStatus.AVAILABLE
    assert db.volume_get(volume.id).status == Status.AVAILABLE
    path = driver.volume_path(volume.id)
    assert path is not None
    with open(path, "r+b") as f:
        f.write(os.urandom(len(original)))
    volume = db.volume_get(volume.id)
    backup = db.backup_get(backup_id)
    db.backup_restore_begin(backup_id, backup_edge=backup_edge("restore.begin"), backup_version=backup.version,
                            volume_id=volume.id, volume_edge=edge("restore.begin"), volume_version=volume.version)
    assert _settle(peer, backup_id) == BackupStatus.AVAILABLE
    assert Path(path).read_bytes()[:len(original)] == original  # the redone backup is whole
