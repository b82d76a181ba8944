"""The one transition: its guards leave everything untouched when they fail, its effects ride in its transaction."""

from __future__ import annotations

import pytest

from db import api as db
from db import errors
from volume.states.snapshots import SnapshotStatus, snapshot_edge
from volume.states.volumes import Status, edge


def _available(size_gb: int = 1) -> str:
    volume = db.volume_create(project_id="p", user_id="u", size_gb=size_gb, status=str(Status.CREATING),
                              availability_zone="nova")
    assert db.transition("volume", volume.id, edge("create.done")) is not None
    return volume.id


def test_a_failed_extend_gives_back_what_it_reserved(sqlite_db: str) -> None:
    volume_id = _available(size_gb=2)
    volume = db.volume_get(volume_id)
    assert db.transition("volume", volume_id, edge("extend.begin"), guard=db.Guard(expected_version=volume.version),
                         effects=db.Effects(quota={"gigabytes": 3}, values={"target_size_gb": 5})) is not None
    assert db.quota_get("p")["gigabytes"][1] == 5
    failed = db.transition("volume", volume_id, edge("extend.fail"), effects=db.Effects(release_pending=True))
    assert failed is not None and (failed.status, failed.size_gb, failed.target_size_gb) == (
        Status.ERROR_EXTENDING, 2, None)
    assert db.quota_get("p")["gigabytes"][1] == 2


def test_a_destroy_whose_claim_was_taken_changes_nothing(sqlite_db: str) -> None:
    volume_id = _available(size_gb=3)
    assert db.transition("volume", volume_id, edge("delete.begin")) is not None
    claim = db.work_claim(resource_type="volume", resource_id=volume_id, operation="delete",
                          working_status=str(Status.DELETING), backend_host="h@b", node="n")
    assert claim is not None
    assert db.work_release(claim)  # taken away, as an admin's reset of a dead holder does
    with pytest.raises(errors.ClaimLost):
        db.transition("volume", volume_id, edge("delete.done"), guard=db.Guard(claim=claim),
                      effects=db.Effects(destroy=True))
    assert db.volume_get(volume_id).status == Status.DELETING and db.quota_get("p")["gigabytes"][1] == 3


def test_a_snapshot_destroy_gives_back_its_quota_and_a_second_one_finds_nothing(sqlite_db: str) -> None:
    volume = db.volume_get(_available(size_gb=2))
    snapshot = db.snapshot_create(project_id="p", user_id="u", volume_id=volume.id, volume_version=volume.version,
                                  volume_claim=edge("snapshot.begin"), status=str(SnapshotStatus.CREATING))
    assert db.quota_get("p")["snapshots"][1] == 1
    assert db.transition("snapshot", snapshot.id, snapshot_edge("create.fail")) is not None
    assert db.transition("snapshot", snapshot.id, snapshot_edge("delete.begin")) is not None
    gone = db.transition("snapshot", snapshot.id, snapshot_edge("delete.done"), effects=db.Effects(destroy=True))
    assert gone is not None and gone.deleted and gone.status == SnapshotStatus.DELETED
    assert db.quota_get("p")["snapshots"][1] == 0 and db.quota_get("p")["gigabytes"][1] == 2
    assert db.transition("snapshot", snapshot.id, snapshot_edge("delete.done"),
                         effects=db.Effects(destroy=True)) is None
