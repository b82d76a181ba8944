"""Recovery finishes what a dead volume service left: replays create/extend/delete, never leaves it stuck."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from oslo_config import cfg

from db import api as db
from drivers.file import FileDriver
from volume.election.sql import SqlElector
from volume.manager import BackendIdentity, VolumeManager
from volume.recovery import resume_stuck_work
from volume.states import Status, edge

HOST = "node@file-1"


@pytest.fixture
def manager(sqlite_db: str, conf: cfg.ConfigOpts, overrides: Callable[..., None], tmp_path: Path) -> VolumeManager:
    overrides("file_share_path", str(tmp_path / "share"), group="file-1")
    overrides("file_capacity_gb", 100, group="file-1")
    driver = FileDriver(conf, "file-1")
    driver.setup()
    identity = BackendIdentity(backend_host=HOST, backend_name="file-1", availability_zone="nova",
                               reserved_percentage=0, max_over_subscription_ratio=1.0, service_host="node")
    manager = VolumeManager(driver=driver, identity=identity)
    manager.lease = SqlElector(ttl_s=3600).campaign(HOST, "node")
    manager.report_pools()
    return manager


def _placed_volume(size_gb: int = 1) -> str:
    volume = db.volume_create(project_id="p", user_id="u", size_gb=size_gb, status=str(Status.CREATING),
                              availability_zone="nova")
    assert db.volume_schedule(volume.id, pool_name=f"{HOST}#share", size_gb=size_gb,
                              creating_status=str(Status.CREATING))
    return volume.id


def test_creates_extends_and_deletes_left_behind_are_replayed(manager: VolumeManager, tmp_path: Path) -> None:
    creating = _placed_volume()              # its create request died with the old service
    extending = _placed_volume()
    manager.create_volume(None, extending)  # type: ignore[arg-type]
    volume = db.volume_get(extending)
    db.volume_transition(extending, edge("extend.begin"), expected_version=volume.version, target_size_gb=3)
    deleting = _placed_volume()
    manager.create_volume(None, deleting)  # type: ignore[arg-type]
    db.volume_transition(deleting, edge("delete.begin"))

    assert resume_stuck_work(manager, older_than_s=0) == 3

    assert db.volume_get(creating).status == Status.AVAILABLE
    extended = db.volume_get(extending)
    assert (extended.status, extended.size_gb, extended.target_size_gb) == (Status.AVAILABLE, 3, None)
    assert (tmp_path / "share" / f"volume-{extending}").stat().st_size == 3 * 1024**3
    assert deleting not in {v.id for v in db.volume_list(project_id="p")}
    assert not (tmp_path / "share" / f"volume-{deleting}").exists()


def test_a_late_request_after_the_replay_changes_nothing(manager: VolumeManager) -> None:
    volume_id = _placed_volume()
    resume_stuck_work(manager, older_than_s=0)
    before = db.volume_get(volume_id)
    manager.create_volume(None, volume_id)  # type: ignore[arg-type]   # the original, finally delivered
    assert db.volume_get(volume_id) == before


def test_work_that_cannot_be_replayed_fails_cleanly(manager: VolumeManager) -> None:
    volume_id = _placed_volume()
    manager.create_volume(None, volume_id)  # type: ignore[arg-type]
    db.volume_transition(volume_id, edge("extend.begin"))  # an extend from before target sizes were kept
    resume_stuck_work(manager, older_than_s=0)
    volume = db.volume_get(volume_id)
    assert volume.status == Status.ERROR_EXTENDING and "stopped" in (volume.status_reason or "")
    assert [m.resource_uuid for m in db.message_list(project_id="p")] == [volume_id]


def test_recent_work_is_left_to_the_request_still_queued(manager: VolumeManager) -> None:
    volume_id = _placed_volume()
    assert resume_stuck_work(manager, older_than_s=3600) == 0
    assert db.volume_get(volume_id).status == Status.CREATING
