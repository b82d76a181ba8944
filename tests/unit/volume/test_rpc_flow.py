"""The control plane end to end over oslo.messaging's fake:// transport: scheduler -> volume -> driver."""

from __future__ import annotations

import functools
import logging
import os
from pathlib import Path

import pytest

from common.context import RequestContext
from db import api as db
from scheduler.client import SchedulerClient
from tests.unit.conftest import wait_for
from volume.client import VolumeClient
from volume.states.snapshots import SnapshotStatus, snapshot_edge
from volume.states.volumes import Status, edge

CTX = RequestContext(user_id="u", project_id="p", is_admin=False)


def _create(size_gb: int = 1, **kwargs: object) -> str:
    volume = db.volume_create(project_id="p", user_id="u", size_gb=size_gb, status=str(Status.CREATING),
                              availability_zone="nova", **kwargs)  # type: ignore[arg-type]
    SchedulerClient().create_volume(CTX, volume_id=volume.id)
    return volume.id


def _status(volume_id: str) -> str:
    return db.volume_get(volume_id).status


def test_create_lands_available_with_a_real_file(stack: object, tmp_path: object) -> None:
    volume_id = _create(2)
    wait_for(lambda: _status(volume_id) == Status.AVAILABLE, what="available")
    volume = db.volume_get(volume_id)
    assert volume.host == "unit@file-1#share"
    path = os.path.join(str(tmp_path), "share", f"volume-{volume_id}")
    assert os.path.getsize(path) == 2 * 1024**3


def test_snapshot_clone_extend_delete(stack: object, tmp_path: object) -> None:
    volume_id = _create(1)
    wait_for(lambda: _status(volume_id) == Status.AVAILABLE, what="available")
    share = os.path.join(str(tmp_path), "share")
    with open(os.path.join(share, f"volume-{volume_id}"), "r+b") as f:
        f.write(b"ember-data" * 100)
    volume = db.volume_get(volume_id)

    snapshot = db.snapshot_create(project_id="p", user_id="u", volume_id=volume_id, volume_version=volume.version,
                                  volume_claim=edge("snapshot.begin"), status=str(SnapshotStatus.CREATING))
    backend = volume.backend_host
    assert backend is not None
    VolumeClient().create_snapshot(CTX, backend, snapshot_id=snapshot.id)
    wait_for(lambda: db.snapshot_get(snapshot.id).status == SnapshotStatus.AVAILABLE, what="snapshot")

    snapshot = db.snapshot_get(snapshot.id)
    from_snap = _create(3, snapshot=(snapshot.id, snapshot.version, snapshot_edge("clone.begin")))
    source = db.volume_get(volume_id)
    clone = _create(1, source_volume=(volume_id, source.version, edge("clone.begin")))
    for vid in (from_snap, clone):
        wait_for(functools.partial(_is_available, vid), what="copy available")
        with open(os.path.join(share, f"volume-{vid}"), "rb") as f:
            assert f.read(1000) == b"ember-data" * 100
    assert os.path.getsize(os.path.join(share, f"volume-{from_snap}")) == 3 * 1024**3

    volume = db.volume_get(volume_id)
    assert db.volume_transition(volume_id, edge("extend.begin"), expected_version=volume.version,
                                quota={"gigabytes": 1}, pool_claim_gb=1)
    VolumeClient().extend_volume(CTX, backend, volume_id=volume_id, new_size_gb=2)
    wait_for(lambda: db.volume_get(volume_id).size_gb == 2, what="extended")
    assert os.path.getsize(os.path.join(share, f"volume-{volume_id}")) == 2 * 1024**3

    volume = db.volume_get(clone)
    assert db.volume_transition(clone, edge("delete.begin"), expected_version=volume.version)
    assert volume.backend_host is not None
    VolumeClient().delete_volume(CTX, volume.backend_host, volume_id=clone)
    wait_for(lambda: clone not in {v.id for v in db.volume_list(project_id="p")} and
             not os.path.exists(os.path.join(share, f"volume-{clone}")), what="deleted")
    assert db.quota_get("p")["volumes"][1] == 2


def test_no_valid_backend_ends_in_error_with_a_reason(stack: object, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="scheduler.manager")
    db.quota_set("p", {"gigabytes": -1})
    volume_id = _create(5000)  # the pool holds 100 GB x 20 (thin over-subscription)
    wait_for(lambda: _status(volume_id) == Status.ERROR, what="error")
    # the scheduler writes the user message just after the status
    wait_for(lambda: bool(db.message_list(project_id="p")), what="user message")
    (message,) = db.message_list(project_id="p")
    assert (message.resource_uuid, message.event_id, message.request_id) == (volume_id, "VOLUME_VOLUME_001_003",
                                                                             CTX.request_id)
    # Cinder's words for the project; the backends and the filter that refused are in the log only
    assert db.volume_get(volume_id).status_reason == message.user_message == (
        "schedule allocate volume: Could not find any available weighted backend.")
    (logged,) = [r.getMessage() for r in caplog.records if volume_id in r.getMessage()]
    assert "CapacityFilter" in logged


def test_a_failing_driver_command_reaches_the_log_not_the_project(stack: object, tmp_path: Path,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="volume.manager")
    volume_id = _create(1)
    wait_for(lambda: _status(volume_id) == Status.AVAILABLE, what="available")
    volume = db.volume_get(volume_id)
    assert volume.backend_host is not None
    share = tmp_path / "share"
    os.unlink(share / f"volume-{volume_id}")
    os.mkdir(share / f"volume-{volume_id}")  # a folder where the volume's file was: growing it fails
    assert db.volume_transition(volume_id, edge("extend.begin"), expected_version=volume.version,
                                quota={"gigabytes": 1}, pool_claim_gb=1)
    VolumeClient().extend_volume(CTX, volume.backend_host, volume_id=volume_id, new_size_gb=2)
    wait_for(lambda: _status(volume_id) == Status.ERROR_EXTENDING, what="error_extending")
    wait_for(lambda: bool(db.message_list(project_id="p")), what="user message")
    (message,) = db.message_list(project_id="p")
    reason = db.volume_get(volume_id).status_reason
    assert reason == message.user_message == "extend volume: Volume Driver failed to extend volume."
    assert (message.event_id, message.request_id) == ("VOLUME_VOLUME_007_010", CTX.request_id)
    (logged,) = [r.getMessage() for r in caplog.records if volume_id in r.getMessage()]
    assert "cannot grow" in logged and str(share) in logged  # the driver's own words, with the storage's path
    for text in (reason, message.user_message):
        assert "cannot grow" not in text and str(tmp_path) not in text and "@" not in text


def _is_available(volume_id: str) -> bool:
    return _status(volume_id) == Status.AVAILABLE


def test_revert_brings_back_the_snapshots_data(stack: object, tmp_path: object) -> None:
    volume_id = _create(1)
    wait_for(lambda: _status(volume_id) == Status.AVAILABLE, what="available")
    path = os.path.join(str(tmp_path), "share", f"volume-{volume_id}")
    with open(path, "r+b") as f:
        f.write(b"before" * 1000)
    volume = db.volume_get(volume_id)
    backend = volume.backend_host
    assert backend is not None
    snapshot = db.snapshot_create(project_id="p", user_id="u", volume_id=volume_id, volume_version=volume.version,
                                  volume_claim=edge("snapshot.begin"), status=str(SnapshotStatus.CREATING))
    VolumeClient().create_snapshot(CTX, backend, snapshot_id=snapshot.id)
    wait_for(lambda: db.snapshot_get(snapshot.id).status == SnapshotStatus.AVAILABLE, what="snapshot")
    with open(path, "r+b") as f:
        f.write(b"after!" * 2000)

    # what the api does for the revert action
    volume, snapshot = db.volume_get(volume_id), db.snapshot_get(snapshot.id)
    assert db.volume_revert_begin(volume_id, edge("revert.begin"), expected_version=volume.version,
                                  snapshot_id=snapshot.id, snapshot_version=snapshot.version,
                                  snapshot_edge=snapshot_edge("revert.begin"))
    assert _status(volume_id) == Status.REVERTING
    VolumeClient().revert_volume(CTX, backend, volume_id=volume_id, snapshot_id=snapshot.id)
    wait_for(lambda: _status(volume_id) == Status.AVAILABLE, what="reverted")
    with open(path, "rb") as f:
        assert f.read(12000) == b"before" * 1000 + bytes(6000)
    assert os.path.getsize(path) == 1024**3
    assert db.snapshot_get(snapshot.id).status == SnapshotStatus.AVAILABLE


def test_a_failed_revert_leaves_the_volume_in_error(stack: object, tmp_path: object) -> None:
    volume_id = _create(1)
    wait_for(lambda: _status(volume_id) == Status.AVAILABLE, what="available")
    volume = db.volume_get(volume_id)
    assert volume.backend_host is not None
    assert db.volume_transition(volume_id, edge("revert.begin"), expected_version=volume.version)
    VolumeClient().revert_volume(CTX, volume.backend_host, volume_id=volume_id,
                                 snapshot_id="00000000-0000-4000-8000-00000000dead")  # no such snapshot file
    wait_for(lambda: _status(volume_id) == Status.ERROR, what="error")
    assert db.volume_get(volume_id).status_reason
