"""POST /volumes: plain, from a snapshot, from a volume, and every bad input (4xx, nothing created)."""

from __future__ import annotations

from typing import Any

import oslo_messaging as messaging
import pytest

from db import api as db
from rpc import transport
from tests.unit.api.conftest import Api, make_available
from volume.states.snapshots import SnapshotStatus, snapshot_edge
from volume.states.volumes import Status, edge


def _count() -> int:
    return db.volume_count(project_id=None)


def test_plain_create_is_202_creating_with_defaults(api: Api) -> None:
    response = api.post("/volumes", {"volume": {"size": 2, "name": "v1", "description": "d",
                                                "metadata": {"k": "v"}}})
    assert response.status_code == 202
    volume = response.json()["volume"]
    assert volume["status"] == Status.CREATING
    assert (volume["size"], volume["name"], volume["description"]) == (2, "v1", "d")
    assert volume["metadata"] == {"k": "v"}
    assert volume["volume_type"] == db.DEFAULT_TYPE_NAME
    assert volume["availability_zone"] == "nova"
    assert volume["bootable"] == "false"
    assert volume["created_at"].count(".") == 1 and len(volume["created_at"].split(".")[1]) == 6
    assert db.volume_get(volume["id"]).status == Status.CREATING


def test_create_accepts_a_digit_string_size_as_cinder_does(api: Api) -> None:
    assert api.post("/volumes", {"volume": {"size": "3"}}).json()["volume"]["size"] == 3


@pytest.mark.parametrize("size", [0, -1, "abc", True, 1.5, None, "", [1]])
def test_bad_size_is_a_400_and_creates_nothing(api: Api, size: Any) -> None:
    response = api.post("/volumes", {"volume": {"size": size}})
    assert response.status_code == 400
    assert "size" in response.json()["badRequest"]["message"]
    assert _count() == 0


@pytest.mark.parametrize(("body", "field"), [
    ({"volume": {"size": 1, "name": "x" * 256}}, "name"),
    ({"volume": {"size": 1, "description": 7}}, "description"),
    ({"volume": {"size": 1, "metadata": {"k": 1}}}, "metadata"),
    ({"volume": {"size": 1, "metadata": ["k"]}}, "metadata"),
    ({"volume": {"size": 1, "imageRef": "abc"}}, "imageRef"),
    ({"volume": 5}, "volume"),
    ({"size": 1}, "volume"),
    ([1, 2], "volume"),
])
def test_wrong_shape_names_the_field(api: Api, body: Any, field: str) -> None:
    response = api.post("/volumes", body)
    assert response.status_code == 400
    assert field in response.json()["badRequest"]["message"]
    assert _count() == 0


def test_unknown_keys_are_ignored_before_3_53_and_refused_after(api: Api) -> None:
    assert api.post("/volumes", {"volume": {"size": 1, "colour": "red"}}).status_code == 202
    strict = api.as_(api.token, "3.53").post("/volumes", {"volume": {"size": 1, "colour": "red"}})
    assert strict.status_code == 400
    assert "colour" in strict.json()["badRequest"]["message"]


def test_unknown_volume_type_is_a_404_and_creates_nothing(api: Api) -> None:
    response = api.post("/volumes", {"volume": {"size": 1, "volume_type": "gold"}})
    assert response.status_code == 404
    assert "gold" in response.json()["itemNotFound"]["message"]
    assert _count() == 0


def test_volume_type_by_name_or_id(api: Api) -> None:
    gold = db.type_create(name="gold")
    assert api.create_volume(volume_type="gold")["volume_type"] == "gold"
    assert api.create_volume(volume_type=gold.id)["volume_type"] == "gold"


def test_default_type_comes_from_the_config(api: Api, set_conf: Any, app_factory: Any) -> None:
    db.type_create(name="silver")
    set_conf("default_volume_type", "silver")
    assert Api(app_factory()).create_volume()["volume_type"] == "silver"


def test_unknown_availability_zone_is_a_400(api: Api) -> None:
    response = api.post("/volumes", {"volume": {"size": 1, "availability_zone": "mars"}})
    assert response.status_code == 400
    assert "mars" in response.json()["badRequest"]["message"]
    assert _count() == 0


def test_zone_of_a_reported_pool_is_accepted(api: Api) -> None:
    db.pool_report("h2@b", [{"name": "h2@b#p", "volume_backend_name": "b", "availability_zone": "zone-2",
                             "total_capacity_gb": 10, "free_capacity_gb": 10, "capabilities": {}}])
    assert api.create_volume(availability_zone="zone-2")["availability_zone"] == "zone-2"


def test_quota_exceeded_is_a_413_over_limit(api: Api) -> None:
    db.quota_set("proj-a", {"gigabytes": 3})
    api.create_volume(2)
    response = api.post("/volumes", {"volume": {"size": 2}})
    assert response.status_code == 413
    assert "gigabytes" in response.json()["overLimit"]["message"]
    assert _count() == 1


def _available_volume(api: Api, size: int = 2) -> dict[str, Any]:
    volume = api.create_volume(size)
    make_available(volume["id"])
    return volume


def _available_snapshot(api: Api, volume_id: str) -> str:
    response = api.post("/snapshots", {"snapshot": {"volume_id": volume_id}})
    assert response.status_code == 202, response.text
    snapshot_id: str = response.json()["snapshot"]["id"]
    assert db.snapshot_transition(snapshot_id, snapshot_edge("create.done")) is not None
    return snapshot_id


def test_create_from_snapshot_defaults_to_its_size(api: Api) -> None:
    source = _available_volume(api, 3)
    snapshot_id = _available_snapshot(api, source["id"])
    response = api.post("/volumes", {"volume": {"snapshot_id": snapshot_id}})
    assert response.status_code == 202
    volume = response.json()["volume"]
    assert volume["size"] == 3
    assert volume["snapshot_id"] == snapshot_id
    assert db.snapshot_get(snapshot_id).status == SnapshotStatus.AVAILABLE


def test_create_from_snapshot_smaller_than_it_is_a_400(api: Api) -> None:
    source = _available_volume(api, 3)
    snapshot_id = _available_snapshot(api, source["id"])
    response = api.post("/volumes", {"volume": {"size": 2, "snapshot_id": snapshot_id}})
    assert response.status_code == 400
    assert "smaller" in response.json()["badRequest"]["message"]


def test_create_from_a_snapshot_not_yet_available_is_a_400(api: Api) -> None:
    source = _available_volume(api)
    snapshot_id = api.post("/snapshots", {"snapshot": {"volume_id": source["id"]}}).json()["snapshot"]["id"]
    response = api.post("/volumes", {"volume": {"snapshot_id": snapshot_id}})
    assert response.status_code == 400
    assert SnapshotStatus.CREATING in response.json()["badRequest"]["message"]


def test_create_from_volume_clones_its_size_and_claims_the_source(api: Api) -> None:
    source = _available_volume(api, 2)
    version_before = db.volume_get(source["id"]).version
    clone = api.post("/volumes", {"volume": {"source_volid": source["id"]}}).json()["volume"]
    assert (clone["size"], clone["source_volid"]) == (2, source["id"])
    after = db.volume_get(source["id"])
    assert after.status == Status.AVAILABLE and after.version == version_before + 1


def test_create_from_volume_smaller_than_it_is_a_400(api: Api) -> None:
    source = _available_volume(api, 2)
    response = api.post("/volumes", {"volume": {"size": 1, "source_volid": source["id"]}})
    assert response.status_code == 400
    assert _count() == 1


def test_create_from_a_volume_that_is_creating_is_a_400(api: Api) -> None:
    source = api.create_volume()
    assert api.post("/volumes", {"volume": {"source_volid": source["id"]}}).status_code == 400


def test_create_from_another_projects_volume_is_a_404(api: Api, set_conf: Any, app_factory: Any) -> None:
    source = _available_volume(api)
    set_conf("noauth_admin_projects", ["admin"])
    other = Api(app_factory(), "bob:proj-b")
    assert other.post("/volumes", {"volume": {"source_volid": source["id"]}}).status_code == 404


class _BrokerDown:
    """oslo.messaging's client when the broker refuses a message (the error a real one raises)."""

    def cast(self, ctx: Any, method: str, **kwargs: Any) -> None:
        raise messaging.MessageDeliveryFailure("Unable to connect to AMQP server on mq1.example.net:5672")


def test_unreachable_scheduler_fails_the_volume_and_answers_503(set_conf: Any, app_factory: Any,
                                                                monkeypatch: pytest.MonkeyPatch,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    set_conf("noauth_admin_projects", ["admin"])
    tenant = Api(app_factory(), "alice:proj-a")
    monkeypatch.setattr(transport, "client", lambda *args, **kwargs: _BrokerDown())
    response = tenant.post("/volumes", {"volume": {"size": 1}})
    assert response.status_code == 503
    told = response.json()["serviceUnavailable"]["message"]
    (volume,) = db.volume_list(project_id="proj-a")
    assert volume.status == edge("create.fail")[1]
    # the project reads that no scheduler answered; which broker refused is in the log
    assert volume.status_reason == "No scheduler can be reached right now; retry later."
    assert told == volume.status_reason and "mq1.example.net" in caplog.text
