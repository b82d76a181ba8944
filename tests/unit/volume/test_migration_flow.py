"""A volume moved between two file backends over fake://: copied, compared, swapped; a failed or
interrupted migration leaves it where it was, its migration_status error, and no copy behind."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from oslo_config import cfg

from common.context import RequestContext
from common.service import ServiceRunner
from db import api as db
from drivers import options as driver_options
from scheduler.client import SchedulerClient
from tests.unit.conftest import wait_for
from volume.client import VolumeClient
from volume.kinds import VOLUME
from volume.states.volumes import Status, edge

CTX = RequestContext(user_id="u", project_id="p", is_admin=False)
DATA = os.urandom(64 * 1024)


@pytest.fixture
def two_backends(sqlite_db: str, conf: cfg.ConfigOpts, overrides: Callable[..., None],
                 tmp_path: Path) -> Iterator[list[ServiceRunner]]:
    from launch.all_in_one import start_services

    overrides("state_path", str(tmp_path / "state"))
    overrides("enabled_backends", ["file-1", "file-2"])
    overrides("host", "unit")
    for backend in ("file-1", "file-2"):
        driver_options.register_backend(conf, backend)
        overrides("file_share_path", str(tmp_path / backend), group=backend)
        overrides("file_capacity_gb", 100, group=backend)
    runners = start_services(conf)
    wait_for(lambda: len(db.pool_list()) == 2, what="both pools to be reported")
    yield runners
    for runner in runners:
        runner.stop()


def _file(tmp_path: Path, backend: str, volume_id: str) -> Path:
    return tmp_path / backend / f"volume-{volume_id}"


def _available_volume(tmp_path: Path) -> tuple[str, str, str]:
    """A volume with DATA at its start; its id, its backend and the other backend."""
    volume = db.volume_create(project_id="p", user_id="u", size_gb=1, status=str(Status.CREATING),
                              availability_zone="nova")
    SchedulerClient().create_volume(CTX, volume_id=volume.id)
    wait_for(lambda: db.volume_get(volume.id).status == Status.AVAILABLE, what="available")
    backend = db.volume_get(volume.id).backend_host
    assert backend is not None
    here = backend.split("@")[1]
    with open(_file(tmp_path, here, volume.id), "r+b") as f:
        f.write(DATA)
    return volume.id, here, "file-2" if here == "file-1" else "file-1"


def _begin(volume_id: str, destination: str) -> str:
    volume = db.volume_get(volume_id)
    assert db.volume_transition(volume_id, edge("migrate.begin"), expected_version=volume.version,
                                migration_status="starting", migration_host=f"unit@{destination}#{destination}")
    assert volume.backend_host is not None
    return volume.backend_host


def test_migrate_moves_the_bytes_and_keeps_the_id(two_backends: object, tmp_path: Path) -> None:
    volume_id, here, there = _available_volume(tmp_path)
    allocated = {p.name: p.allocated_capacity_gb for p in db.pool_list()}
    VolumeClient().migrate_volume(CTX, _begin(volume_id, there), volume_id=volume_id)
    wait_for(lambda: db.volume_get(volume_id).status == Status.AVAILABLE, what="the migration to land")
    moved = db.volume_get(volume_id)
    assert (moved.host, moved.migration_status, moved.migration_host) == (f"unit@{there}#{there}", "success", None)
    with open(_file(tmp_path, there, volume_id), "rb") as f:
        assert f.read(len(DATA)) == DATA
    assert os.path.getsize(_file(tmp_path, there, volume_id)) == 1024**3
    wait_for(lambda: not _file(tmp_path, here, volume_id).exists(), what="the source's copy to go")
    after = {p.name: p.allocated_capacity_gb for p in db.pool_list()}
    assert after[f"unit@{there}#{there}"] == allocated[f"unit@{there}#{there}"] + 1
    assert after[f"unit@{here}#{here}"] == allocated[f"unit@{here}#{here}"] - 1


def test_a_failed_copy_leaves_the_volume_where_it_was(two_backends: object, tmp_path: Path) -> None:
    volume_id, here, there = _available_volume(tmp_path)
    _file(tmp_path, there, volume_id).mkdir()  # a folder where the target's file would go: it cannot be made
    VolumeClient().migrate_volume(CTX, _begin(volume_id, there), volume_id=volume_id)
    wait_for(lambda: db.volume_get(volume_id).status == Status.AVAILABLE, what="the migration to fail")
    failed = db.volume_get(volume_id)
    assert (failed.host, failed.migration_status, failed.migration_host) == (f"unit@{here}#{here}", "error", None)
    assert failed.status_reason == "migrate volume: The volume could not be copied to the other backend; " \
                                   "it stays where it was."
    with open(_file(tmp_path, here, volume_id), "rb") as f:
        assert f.read(len(DATA)) == DATA
    wait_for(lambda: bool(db.message_list(project_id="p")), what="user message")
    assert db.message_list(project_id="p")[0].event_id == "VOLUME_VOLUME_107_112"


def test_an_interrupted_migration_is_failed_by_recovery_and_its_target_removed(two_backends: object,
                                                                                tmp_path: Path) -> None:
    volume_id, here, there = _available_volume(tmp_path)
    # an admin's maintenance on the same backend: recovery does not take it for a migration
    held = db.volume_create(project_id="p", user_id="u", size_gb=1, status=str(Status.CREATING),
                            availability_zone="nova")
    assert db.volume_schedule(held.id, pool_name=f"unit@{here}#{here}", size_gb=1, creating_status="creating")
    assert db.volume_transition(held.id, edge("create.done"))
    assert db.volume_transition(held.id, (frozenset({"available"}), "maintenance"))
    source = _begin(volume_id, there)  # begun, and its service died mid-copy: a half-written target
    _file(tmp_path, there, volume_id).write_bytes(DATA[:100])
    VolumeClient().recover(CTX, source)
    wait_for(lambda: db.volume_get(volume_id).status == Status.AVAILABLE, what="recovery to fail it")
    failed = db.volume_get(volume_id)
    assert (failed.host, failed.migration_status) == (f"unit@{here}#{here}", "error")
    assert not _file(tmp_path, there, volume_id).exists()
    with open(_file(tmp_path, here, volume_id), "rb") as f:
        assert f.read(len(DATA)) == DATA
    assert db.volume_get(held.id).status == Status.MAINTENANCE
    assert [v.id for v in VOLUME.list_stale(statuses=VOLUME.transient, older_than_s=0,
                                            backend_host=f"unit@{here}")] == []
