"""Group snapshots on the volume side: every member taken in one operation, or none; recovered by failing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from oslo_config import cfg

from common.context import RequestContext
from db import api as db
from db import errors as db_errors
from drivers.file import FileDriver
from volume.election.sql import SqlElector
from volume.manager import BackendIdentity, VolumeManager
from volume.recovery import resume_stuck_work
from volume.states.groups import GroupSnapshotStatus, GroupStatus, group_edge
from volume.states.snapshots import SnapshotStatus
from volume.states.volumes import Status, edge

HOST = "node@file-1"
CTX = RequestContext(user_id="u", project_id="p", is_admin=False)
LIVE = frozenset({str(Status.AVAILABLE), str(Status.IN_USE)})


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


def _group_of(manager: VolumeManager, count: int) -> tuple[str, list[str]]:
    vtype = db.type_create(name="vt")
    gtype = db.group_type_create(name="gt", description=None, is_public=True, group_specs={})
    group = db.group_create(project_id="p", user_id="u", name="g", description=None, availability_zone="nova",
                            group_type_id=gtype.id, volume_type_ids=[vtype.id], status=str(GroupStatus.AVAILABLE),
                            quota_defaults=None, host=HOST)
    volumes = []
    for _ in range(count):
        volume = db.volume_create(project_id="p", user_id="u", size_gb=1, status=str(Status.CREATING),
                                  availability_zone="nova", volume_type_id=vtype.id,
                                  group=(group.id, group_edge("update")))
        assert db.volume_schedule(volume.id, pool_name=f"{HOST}#share", size_gb=1,
                                  creating_status=str(Status.CREATING))
        manager.create_volume(CTX, volume.id)
        volumes.append(volume.id)
    return group.id, volumes


def _request(group_id: str, volume_ids: list[str]) -> tuple[str, list[str]]:
    group = db.group_get(group_id)
    made, members = db.group_snapshot_create(
        project_id="p", user_id="u", group_id=group_id, group_version=group.version,
        group_claim=group_edge("update"), volumes=[(v, db.volume_get(v).version) for v in volume_ids],
        volume_sources=LIVE, name="gs", description=None, status=str(GroupSnapshotStatus.CREATING),
        member_status=str(SnapshotStatus.CREATING), host=HOST, quota_defaults=None)
    return made.id, [m.id for m in members]


def _files(tmp_path: Path, snapshot_ids: list[str]) -> list[bool]:
    return [(tmp_path / "share" / f"snapshot-{s}.raw").exists() for s in snapshot_ids]


def test_all_members_land_together_and_go_together(manager: VolumeManager, tmp_path: Path) -> None:
    group_id, volumes = _group_of(manager, 3)
    gs_id, members = _request(group_id, volumes)
    assert db.quota_get("p")["snapshots"][1] == 3
    manager.create_group_snapshot(CTX, gs_id)
    assert db.group_snapshot_get(gs_id).status == GroupSnapshotStatus.AVAILABLE
    assert {db.snapshot_get(m).status for m in members} == {SnapshotStatus.AVAILABLE}
    assert _files(tmp_path, members) == [True, True, True]
    assert db.transition("group_snapshot", gs_id, (frozenset({"available"}), "deleting"),
                         effects=db.Effects(members=((frozenset({"available"}), "deleting", False),)))
    manager.delete_group_snapshot(CTX, gs_id)
    with pytest.raises(db_errors.NotFound):
        db.group_snapshot_get(gs_id)
    assert db.snapshot_list(project_id="p") == [] and _files(tmp_path, members) == [False, False, False]
    assert db.quota_get("p")["snapshots"][1] == 0 and db.quota_check() == []


def test_one_failing_member_removes_the_others_and_tells_the_user(manager: VolumeManager, tmp_path: Path) -> None:
    group_id, volumes = _group_of(manager, 3)
    gs_id, members = _request(group_id, volumes)
    (tmp_path / "share" / f"volume-{volumes[2]}").unlink()  # the third member cannot be taken
    manager.create_group_snapshot(CTX, gs_id)
    failed = db.group_snapshot_get(gs_id)
    assert failed.status == GroupSnapshotStatus.ERROR and "create group snapshot" in (failed.status_reason or "")
    assert db.snapshot_list(project_id="p") == [] and _files(tmp_path, members) == [False, False, False]
    assert [m.resource_uuid for m in db.message_list(project_id="p")] == [gs_id]
    assert db.quota_get("p")["snapshots"][1] == 0 and db.quota_check() == []


def test_a_group_snapshot_its_service_died_in_is_failed_and_its_partial_members_removed(
        manager: VolumeManager, tmp_path: Path) -> None:
    group_id, volumes = _group_of(manager, 3)
    gs_id, members = _request(group_id, volumes)
    manager._driver.create_snapshot(members[0], volume_id=volumes[0])  # the dead service got this far
    assert resume_stuck_work(manager, older_than_s=0) == 1
    assert db.group_snapshot_get(gs_id).status == GroupSnapshotStatus.ERROR
    assert db.snapshot_list(project_id="p") == [] and _files(tmp_path, members) == [False, False, False]
    manager.create_group_snapshot(CTX, gs_id)   # the original, finally delivered
    assert db.group_snapshot_get(gs_id).status == GroupSnapshotStatus.ERROR and _files(tmp_path, members) == [
        False, False, False]


def test_a_member_snapshot_is_not_recovered_on_its_own(manager: VolumeManager) -> None:
    group_id, volumes = _group_of(manager, 2)
    _request(group_id, volumes)
    stale = db.snapshot_list_stale(statuses=frozenset({"creating"}), older_than_s=0, backend_host=HOST)
    assert stale == []


def test_an_extend_and_a_group_snapshot_racing_have_one_winner(manager: VolumeManager) -> None:
    group_id, volumes = _group_of(manager, 3)
    read = db.volume_get(volumes[1])
    _request(group_id, volumes)  # the group snapshot won: the extend read the volume before it
    assert db.volume_transition(volumes[1], edge("extend.begin"), expected_version=read.version,
                                target_size_gb=2) is None
    group_id2, volumes2 = group_id, volumes
    extending = db.volume_get(volumes2[0])
    assert db.volume_transition(volumes2[0], edge("extend.begin"), expected_version=extending.version,
                                target_size_gb=2) is not None  # an extend won this time
    with pytest.raises(db_errors.Conflict):
        _request(group_id2, volumes2)
