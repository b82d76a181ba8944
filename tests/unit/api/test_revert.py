"""The revert action (3.40): the latest snapshot only, an available volume of the snapshot's size."""

from __future__ import annotations

from typing import Any

import pytest

from db import api as db
from tests.unit.api.conftest import Api, make_available
from volume.states.snapshots import SnapshotStatus, snapshot_edge
from volume.states.volumes import Status, edge

V = "3.40"


@pytest.fixture
def volume(api: Api) -> dict[str, Any]:
    created = api.create_volume(2)
    make_available(created["id"])
    return created


def _snapshot(api: Api, volume_id: str) -> str:
    response = api.post("/snapshots", {"snapshot": {"volume_id": volume_id}})
    assert response.status_code == 202, response.text
    snapshot_id: str = response.json()["snapshot"]["id"]
    assert db.snapshot_transition(snapshot_id, snapshot_edge("create.done")) is not None
    return snapshot_id


def _revert(api: Api, volume_id: str, snapshot_id: str, version: str = V) -> Any:
    return api.as_(api.token, version).post(f"/volumes/{volume_id}/action", {"revert": {"snapshot_id": snapshot_id}})


def test_revert_to_the_latest_snapshot_casts_it(api: Api, volume: dict[str, Any], casts: list[Any]) -> None:
    _snapshot(api, volume["id"])
    latest = _snapshot(api, volume["id"])
    casts.clear()
    snapshot_version = db.snapshot_get(latest).version
    response = _revert(api, volume["id"], latest)
    assert response.status_code == 202, response.text
    assert db.volume_get(volume["id"]).status == Status.REVERTING
    assert db.snapshot_get(latest).version == snapshot_version + 1  # claimed: a delete that read it loses
    assert casts == [("revert_volume", "host@file-1", {"volume_id": volume["id"], "snapshot_id": latest})]
    # while it reverts, its snapshot is not deleted
    refused = api.delete(f"/snapshots/{latest}")
    assert refused.status_code == 400 and "reverted" in refused.json()["badRequest"]["message"]
    assert db.snapshot_get(latest).status == SnapshotStatus.AVAILABLE


def test_only_the_latest_snapshot(api: Api, volume: dict[str, Any], casts: list[Any]) -> None:
    older = _snapshot(api, volume["id"])
    _snapshot(api, volume["id"])
    response = _revert(api, volume["id"], older)
    assert response.status_code == 400
    assert "not the latest" in response.json()["badRequest"]["message"]
    assert db.volume_get(volume["id"]).status == Status.AVAILABLE


def test_sizes_must_be_equal(api: Api, volume: dict[str, Any], casts: list[Any]) -> None:
    snapshot_id = _snapshot(api, volume["id"])
    current = db.volume_get(volume["id"])
    assert db.volume_transition(volume["id"], (frozenset({current.status}), current.status), size_gb=3)
    response = _revert(api, volume["id"], snapshot_id)
    assert response.status_code == 400
    assert "same size" in response.json()["badRequest"]["message"]
    assert db.volume_get(volume["id"]).status == Status.AVAILABLE


def test_the_volume_must_be_available(api: Api, volume: dict[str, Any], casts: list[Any]) -> None:
    snapshot_id = _snapshot(api, volume["id"])
    assert db.volume_transition(volume["id"], edge("extend.begin")) is not None
    assert _revert(api, volume["id"], snapshot_id).status_code == 400
    assert db.volume_get(volume["id"]).status == Status.EXTENDING


def test_revert_needs_3_40_and_a_snapshot_id(api: Api, volume: dict[str, Any], casts: list[Any]) -> None:
    snapshot_id = _snapshot(api, volume["id"])
    assert _revert(api, volume["id"], snapshot_id, "3.39").status_code == 404
    bad = api.as_(api.token, V).post(f"/volumes/{volume['id']}/action", {"revert": {}})
    assert bad.status_code == 400
    assert db.volume_get(volume["id"]).status == Status.AVAILABLE
