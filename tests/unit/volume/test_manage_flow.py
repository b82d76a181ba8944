"""Manage and unmanage end to end over fake:// with the file driver: the volume service's check and list,
the takeover landing available, unmanage leaving the file, and recovery of a manage a crash cut."""

from __future__ import annotations

import os
from pathlib import Path

from common.context import RequestContext
from db import api as db
from tests.unit.conftest import wait_for
from volume.client import VolumeClient
from volume.states.snapshots import SnapshotStatus, snapshot_edge
from volume.states.volumes import Status, edge

CTX = RequestContext(user_id="u", project_id="p", is_admin=True)
BACKEND = "unit@file-1"
POOL = f"{BACKEND}#share"
GiB = 1024 ** 3


def _ask(name: str | None, kind: str = "volumes") -> dict[str, object]:
    return VolumeClient().manageable(CTX, BACKEND, kind=kind, name=name, timeout_s=10)


def _managing(size_gb: int) -> str:
    return db.volume_create(project_id="p", user_id="u", size_gb=size_gb, status=str(Status.MANAGING),
                            availability_zone="nova", host=POOL).id


def test_manage_then_unmanage_a_file(stack: object, tmp_path: Path) -> None:
    share = tmp_path / "share"
    with open(share / "legacy.img", "wb") as f:
        f.write(b"kept across manage")
        f.truncate(GiB + 1)
    listed = _ask(None)["entries"]
    assert isinstance(listed, list)
    assert [(e["reference"], e["size"], e["safe_to_manage"]) for e in listed] == [
        ({"source-name": "legacy.img"}, 2, True)]
    assert _ask("nothing-here").get("error")
    checked = _ask("legacy.img")
    assert checked["pool"] == "share" and checked["entry"]["size"] == 2  # type: ignore[index]

    volume_id = _managing(2)
    VolumeClient().manage_volume(CTX, BACKEND, volume_id=volume_id, name="legacy.img")
    wait_for(lambda: db.volume_get(volume_id).status == Status.AVAILABLE, what="managed")
    path = share / f"volume-{volume_id}"
    assert path.read_bytes()[:18] == b"kept across manage" and os.path.getsize(path) == 2 * GiB
    shown = _ask(None)["entries"]
    assert isinstance(shown, list)
    assert shown[0]["cinder_id"] == volume_id and shown[0]["safe_to_manage"] is False

    # a snapshot unmanaged, then managed back under a new id
    volume = db.volume_get(volume_id)
    snapshot = db.snapshot_create(project_id="p", user_id="u", volume_id=volume_id, volume_version=volume.version,
                                  volume_claim=edge("snapshot.begin"), status=str(SnapshotStatus.CREATING))
    VolumeClient().create_snapshot(CTX, BACKEND, snapshot_id=snapshot.id)
    wait_for(lambda: db.snapshot_get(snapshot.id).status == SnapshotStatus.AVAILABLE, what="snapshot")
    assert db.snapshot_transition(snapshot.id, snapshot_edge("unmanage.begin"))
    VolumeClient().unmanage_snapshot(CTX, BACKEND, snapshot_id=snapshot.id)
    wait_for(lambda: not db.snapshot_list(project_id=None), what="snapshot unmanaged")
    assert (share / f"snapshot-{snapshot.id}.raw").exists()
    volume = db.volume_get(volume_id)
    again = db.snapshot_create(project_id="p", user_id="u", volume_id=volume_id, volume_version=volume.version,
                               volume_claim=edge("snapshot.begin"), status=str(SnapshotStatus.MANAGING))
    VolumeClient().manage_snapshot(CTX, BACKEND, snapshot_id=again.id, name=f"snapshot-{snapshot.id}.raw")
    wait_for(lambda: db.snapshot_get(again.id).status == SnapshotStatus.AVAILABLE, what="snapshot managed")
    assert (share / f"snapshot-{again.id}.raw").exists()
    assert db.snapshot_transition(again.id, snapshot_edge("unmanage.begin"))
    VolumeClient().unmanage_snapshot(CTX, BACKEND, snapshot_id=again.id)
    wait_for(lambda: not db.snapshot_list(project_id=None), what="snapshot unmanaged again")

    assert db.volume_transition(volume_id, edge("unmanage.begin"))
    VolumeClient().unmanage_volume(CTX, BACKEND, volume_id=volume_id)
    wait_for(lambda: not db.volume_list(project_id=None), what="unmanaged")
    assert path.read_bytes()[:18] == b"kept across manage"  # the data stays
    assert db.quota_get("p")["volumes"][1] == 0 and db.quota_get("p")["gigabytes"][1] == 0
    listed = _ask(None)["entries"]
    assert isinstance(listed, list) and listed[0]["safe_to_manage"] is True and listed[0]["cinder_id"] is None


def test_a_manage_with_a_missing_file_fails_to_error_managing(stack: object) -> None:
    volume_id = _managing(1)
    VolumeClient().manage_volume(CTX, BACKEND, volume_id=volume_id, name="gone.img")
    wait_for(lambda: db.volume_get(volume_id).status == Status.ERROR_MANAGING, what="error_managing")


def test_recovery_finishes_a_takeover_and_fails_one_never_begun(stack: object, tmp_path: Path) -> None:
    share = tmp_path / "share"
    renamed, never = _managing(1), _managing(1)
    # the storage had renamed the file when the service died; the other one's cast was lost before
    with open(share / f"volume-{renamed}", "wb") as f:
        f.truncate(512)
    VolumeClient().recover(CTX, BACKEND)
    wait_for(lambda: db.volume_get(renamed).status == Status.AVAILABLE, what="finished")
    wait_for(lambda: db.volume_get(never).status == Status.ERROR_MANAGING, what="failed")
    assert os.path.getsize(share / f"volume-{renamed}") == GiB
