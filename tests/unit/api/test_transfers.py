"""Volume transfers: create (key shown once), list/show, delete, accept with the key into another project."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from db import api as db
from tests.unit.api.conftest import OTHER_TOKEN, Api, make_available
from volume.states.snapshots import SnapshotStatus, snapshot_edge
from volume.states.volumes import Status

LEGACY = "/os-volume-transfer"
CURRENT = "/volume-transfers"


@pytest.fixture
def volume(api: Api) -> dict[str, Any]:
    created = api.create_volume(2, name="gift")
    make_available(created["id"])
    return created


@pytest.fixture
def taker(api: Api, set_conf: Any, app_factory: Any) -> Api:
    set_conf("noauth_admin_projects", ["admin"])
    return Api(app_factory(), OTHER_TOKEN)


def _snapshot(api: Api, volume_id: str) -> str:
    response = api.post("/snapshots", {"snapshot": {"volume_id": volume_id}})
    assert response.status_code == 202, response.text
    snapshot_id: str = response.json()["snapshot"]["id"]
    assert db.snapshot_transition(snapshot_id, snapshot_edge("create.done")) is not None
    return snapshot_id


def _create(api: Api, volume_id: str, path: str = LEGACY, **fields: Any) -> dict[str, Any]:
    response = api.post(path, {"transfer": {"volume_id": volume_id, **fields}})
    assert response.status_code == 202, response.text
    transfer: dict[str, Any] = response.json()["transfer"]
    return transfer


def test_create_shows_the_key_once_and_the_volume_awaits(api: Api, volume: dict[str, Any]) -> None:
    transfer = _create(api, volume["id"], name="t1")
    assert len(transfer["auth_key"]) == 16
    assert (transfer["volume_id"], transfer["name"]) == (volume["id"], "t1")
    assert db.volume_get(volume["id"]).status == Status.AWAITING_TRANSFER
    shown = api.get(f"{LEGACY}/{transfer['id']}").json()["transfer"]
    assert "auth_key" not in shown and shown["created_at"]
    assert [t["id"] for t in api.get(LEGACY).json()["transfers"]] == [transfer["id"]]
    assert "auth_key" not in api.get(f"{LEGACY}/detail").json()["transfers"][0]
    assert transfer["auth_key"] not in str(db.transfer_get(transfer["id"]))


def test_a_volume_awaiting_transfer_is_not_attached_extended_or_deleted(api: Api, volume: dict[str, Any],
                                                                       casts: list[Any]) -> None:
    _create(api, volume["id"])
    path = f"/volumes/{volume['id']}"
    assert api.post(f"{path}/action", {"os-extend": {"new_size": 3}}).status_code == 400
    assert api.delete(path).status_code == 400
    assert api.as_(api.token, "3.27").post("/attachments", {"attachment": {"volume_uuid": volume["id"]}}) \
        .status_code == 400
    assert api.post(f"{path}/action", {"os-reserve": {}}).status_code == 400
    assert api.post("/snapshots", {"snapshot": {"volume_id": volume["id"]}}).status_code == 400
    assert casts == []
    assert db.volume_get(volume["id"]).status == Status.AWAITING_TRANSFER


def test_delete_gives_the_volume_back(api: Api, volume: dict[str, Any]) -> None:
    transfer = _create(api, volume["id"])
    assert api.delete(f"{LEGACY}/{transfer['id']}").status_code == 202
    assert db.volume_get(volume["id"]).status == Status.AVAILABLE
    assert api.get(f"{LEGACY}/{transfer['id']}").status_code == 404
    assert api.delete(f"{LEGACY}/{transfer['id']}").status_code == 404


def test_accept_moves_the_volume_its_snapshots_and_their_quota(api: Api, volume: dict[str, Any],
                                                               taker: Api) -> None:
    snapshot_id = _snapshot(api, volume["id"])
    transfer = _create(api, volume["id"])
    assert taker.get(f"{LEGACY}/{transfer['id']}").status_code == 404  # only its project sees it
    wrong = taker.post(f"{LEGACY}/{transfer['id']}/accept", {"accept": {"auth_key": "0" * 16}})
    assert wrong.status_code == 400 and "Invalid auth key" in wrong.json()["badRequest"]["message"]
    assert db.volume_get(volume["id"]).project_id == "proj-a"

    accepted = taker.post(f"{LEGACY}/{transfer['id']}/accept", {"accept": {"auth_key": transfer["auth_key"]}})
    assert accepted.status_code == 202, accepted.text
    assert accepted.json()["transfer"]["volume_id"] == volume["id"]
    moved = db.volume_get(volume["id"])
    assert (moved.project_id, moved.user_id, moved.status) == ("proj-b", "bob", Status.AVAILABLE)
    assert db.snapshot_get(snapshot_id).project_id == "proj-b"
    giver, receiver = db.quota_get("proj-a"), db.quota_get("proj-b")
    assert (giver["volumes"][1], giver["snapshots"][1], giver["gigabytes"][1]) == (0, 0, 0)
    assert (receiver["volumes"][1], receiver["snapshots"][1], receiver["gigabytes"][1]) == (1, 1, 4)
    assert db.quota_check() == []
    assert taker.get(f"/volumes/{volume['id']}").status_code == 200
    assert Api(taker.client).get(f"/volumes/{volume['id']}").status_code == 404  # the giver no longer sees it
    again = taker.post(f"{LEGACY}/{transfer['id']}/accept", {"accept": {"auth_key": transfer["auth_key"]}})
    assert again.status_code == 404


def test_no_snapshots_leaves_them_with_the_giver(api: Api, volume: dict[str, Any], taker: Api) -> None:
    snapshot_id = _snapshot(api, volume["id"])
    at_3_55 = api.as_(api.token, "3.55")
    transfer = _create(at_3_55, volume["id"], CURRENT, no_snapshots=True)
    assert transfer["no_snapshots"] is True
    accepted = taker.as_(OTHER_TOKEN, "3.55").post(f"{CURRENT}/{transfer['id']}/accept",
                                                   {"accept": {"auth_key": transfer["auth_key"]}})
    assert accepted.status_code == 202, accepted.text
    assert db.volume_get(volume["id"]).project_id == "proj-b"
    assert db.snapshot_get(snapshot_id).project_id == "proj-a"
    assert db.quota_get("proj-b")["gigabytes"][1] == 2
    assert db.quota_check() == []


def test_accept_over_the_takers_quota_is_a_413_and_moves_nothing(api: Api, volume: dict[str, Any],
                                                                 taker: Api) -> None:
    db.quota_set("proj-b", {"gigabytes": 1})
    transfer = _create(api, volume["id"])
    refused = taker.post(f"{LEGACY}/{transfer['id']}/accept", {"accept": {"auth_key": transfer["auth_key"]}})
    assert refused.status_code == 413
    assert db.volume_get(volume["id"]).project_id == "proj-a"
    assert db.volume_get(volume["id"]).status == Status.AWAITING_TRANSFER
    assert api.get(f"{LEGACY}/{transfer['id']}").status_code == 200  # still pending


def test_two_racing_accepts_one_wins(api: Api, volume: dict[str, Any], taker: Api, set_conf: Any,
                                     app_factory: Any) -> None:
    transfer = _create(api, volume["id"])
    third = Api(app_factory(), "carol:proj-c")
    answers: list[int] = []
    barrier = threading.Barrier(2, timeout=10)

    def accept(who: Api) -> None:
        barrier.wait()
        answers.append(who.post(f"{LEGACY}/{transfer['id']}/accept",
                                {"accept": {"auth_key": transfer["auth_key"]}}).status_code)

    threads = [threading.Thread(target=accept, args=(who,)) for who in (taker, third)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [202, 404]
    owner = db.volume_get(volume["id"]).project_id
    assert owner in {"proj-b", "proj-c"}
    assert db.quota_get(owner)["volumes"][1] == 1 and db.quota_get("proj-a")["volumes"][1] == 0


def test_create_refusals(api: Api, volume: dict[str, Any]) -> None:
    creating = api.create_volume(1)
    assert api.post(LEGACY, {"transfer": {"volume_id": creating["id"]}}).status_code == 400
    assert api.post(LEGACY, {"transfer": {}}).status_code == 400
    assert api.post(LEGACY, {"transfer": {"volume_id": volume["id"], "no_snapshots": True}}).status_code == 400
    assert api.as_(api.token, "3.54").get(CURRENT).status_code == 404
    snapshot = api.post("/snapshots", {"snapshot": {"volume_id": volume["id"]}}).json()["snapshot"]
    assert db.snapshot_get(snapshot["id"]).status == SnapshotStatus.CREATING
    refused = api.post(LEGACY, {"transfer": {"volume_id": volume["id"]}})
    assert refused.status_code == 400 and snapshot["id"] in refused.json()["badRequest"]["message"]
    assert db.volume_get(volume["id"]).status == Status.AVAILABLE


def test_history_fields_from_3_57(api: Api, volume: dict[str, Any]) -> None:
    transfer = _create(api.as_(api.token, "3.57"), volume["id"], CURRENT)
    assert (transfer["source_project_id"], transfer["destination_project_id"], transfer["accepted"]) == (
        "proj-a", None, False)
    assert "source_project_id" not in api.get(f"{LEGACY}/{transfer['id']}").json()["transfer"]
