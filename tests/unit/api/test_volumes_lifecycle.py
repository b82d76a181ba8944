"""Show, update, delete and the actions: each a check and one compare-and-swap; losers get a 400."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from db import api as db
from rpc.errors import ServiceUnavailable
from tests.unit.api.conftest import OTHER_TOKEN, POOL, Api, make_available
from volume.client import VolumeClient
from volume.states.volumes import Status, edge


@pytest.fixture
def volume(api: Api) -> dict[str, Any]:
    created = api.create_volume(1, name="v")
    make_available(created["id"])
    return created



def test_show_returns_the_volume_with_host_for_admins(api: Api, volume: dict[str, Any]) -> None:
    shown = api.get(f"/volumes/{volume['id']}").json()["volume"]
    assert shown["status"] == Status.AVAILABLE
    assert shown["os-vol-host-attr:host"] == POOL


def test_show_of_a_missing_volume_is_cinders_404(api: Api) -> None:
    response = api.get("/volumes/00000000-0000-0000-0000-000000000000")
    assert response.status_code == 404
    assert response.json() == {"itemNotFound": {
        "code": 404, "message": "Volume 00000000-0000-0000-0000-000000000000 could not be found."}}


def test_microversion_gated_fields(api: Api, volume: dict[str, Any]) -> None:
    old = api.get(f"/volumes/{volume['id']}").json()["volume"]
    assert "volume_type_id" not in old and "group_id" not in old
    new = api.as_(api.token, "3.65").get(f"/volumes/{volume['id']}").json()["volume"]
    assert new["volume_type_id"] == db.type_get_by_name_or_id(db.DEFAULT_TYPE_NAME).id
    assert new["consumes_quota"] is True and new["shared_targets"] is False and new["group_id"] is None


def test_update_changes_name_description_metadata(api: Api, volume: dict[str, Any]) -> None:
    response = api.put(f"/volumes/{volume['id']}", {"volume": {"name": "n2", "description": "d2",
                                                               "metadata": {"a": "b"}}})
    assert response.status_code == 200
    updated = response.json()["volume"]
    assert (updated["name"], updated["description"], updated["metadata"]) == ("n2", "d2", {"a": "b"})
    assert db.volume_get(volume["id"]).name == "n2"


@pytest.mark.parametrize("body", [{"volume": {"status": "available"}}, {"volume": {"name": 5}},
                                  {"volume": {"metadata": "x"}}, {"name": "x"}])
def test_bad_update_is_a_400_and_changes_nothing(api: Api, volume: dict[str, Any], body: Any) -> None:
    assert api.put(f"/volumes/{volume['id']}", body).status_code == 400
    assert db.volume_get(volume["id"]).name == "v"


def test_delete_of_a_placed_volume_casts_to_its_backend(api: Api, volume: dict[str, Any],
                                                         casts: list[Any]) -> None:
    assert api.delete(f"/volumes/{volume['id']}").status_code == 202
    assert db.volume_get(volume["id"]).status == Status.DELETING
    assert casts == [("delete_volume", "host@file-1", {"volume_id": volume["id"]})]


def test_delete_of_a_never_placed_volume_removes_it_at_once(api: Api, casts: list[Any]) -> None:
    failed = api.create_volume()
    assert db.volume_transition(failed["id"], edge("create.fail")) is not None
    assert api.delete(f"/volumes/{failed['id']}").status_code == 202
    assert api.get(f"/volumes/{failed['id']}").status_code == 404
    assert casts == []
    assert db.quota_get("proj-a")["volumes"][1] == 0


def test_delete_with_snapshots_is_a_400_and_changes_nothing(api: Api, volume: dict[str, Any],
                                                            casts: list[Any]) -> None:
    assert api.post("/snapshots", {"snapshot": {"volume_id": volume["id"]}}).status_code == 202
    before = db.volume_get(volume["id"])
    response = api.delete(f"/volumes/{volume['id']}")
    assert response.status_code == 400
    assert "Volume still has 1 dependent snapshots." in response.json()["badRequest"]["message"]
    assert db.volume_get(volume["id"]) == before


def test_delete_in_a_busy_status_is_a_400(api: Api) -> None:
    creating = api.create_volume()
    response = api.delete(f"/volumes/{creating['id']}")
    assert response.status_code == 400
    assert "creating" in response.json()["badRequest"]["message"]


def test_delete_with_the_volume_service_unreachable_is_503_and_error_deleting(
        api: Api, volume: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    def unreachable(self: VolumeClient, *args: Any, **kwargs: Any) -> None:
        raise ServiceUnavailable("volume service host@file-1 unreachable")

    monkeypatch.setattr(VolumeClient, "_cast", unreachable)
    assert api.delete(f"/volumes/{volume['id']}").status_code == 503
    assert db.volume_get(volume["id"]).status == Status.ERROR_DELETING


def test_extend_moves_to_extending_reserves_and_casts(api: Api, volume: dict[str, Any], casts: list[Any]) -> None:
    response = api.post(f"/volumes/{volume['id']}/action", {"os-extend": {"new_size": 3}})
    assert response.status_code == 202
    assert db.volume_get(volume["id"]).status == Status.EXTENDING
    assert db.quota_get("proj-a")["gigabytes"][1] == 3
    assert casts == [("extend_volume", "host@file-1", {"volume_id": volume["id"], "new_size_gb": 3})]


@pytest.mark.parametrize("new_size", [1, 0])
def test_extend_to_a_size_not_larger_is_a_400(api: Api, volume: dict[str, Any], new_size: int) -> None:
    response = api.post(f"/volumes/{volume['id']}/action", {"os-extend": {"new_size": new_size}})
    assert response.status_code == 400
    assert db.volume_get(volume["id"]).status == Status.AVAILABLE


def test_extend_message_matches_cinder(api: Api, volume: dict[str, Any]) -> None:
    response = api.post(f"/volumes/{volume['id']}/action", {"os-extend": {"new_size": 1}})
    assert response.json()["badRequest"]["message"] == (
        "New size for extend must be greater than current size. (current: 1, extended: 1).")


def test_extend_in_the_wrong_status_is_a_400(api: Api) -> None:
    creating = api.create_volume()
    response = api.post(f"/volumes/{creating['id']}/action", {"os-extend": {"new_size": 5}})
    assert response.status_code == 400
    assert "creating" in response.json()["badRequest"]["message"]


def test_extend_past_the_quota_is_a_413_and_changes_nothing(api: Api, volume: dict[str, Any]) -> None:
    db.quota_set("proj-a", {"gigabytes": 2})
    response = api.post(f"/volumes/{volume['id']}/action", {"os-extend": {"new_size": 5}})
    assert response.status_code == 413
    assert db.volume_get(volume["id"]).status == Status.AVAILABLE
    assert db.quota_get("proj-a")["gigabytes"][1] == 1


def test_unknown_and_malformed_actions_are_400s(api: Api, volume: dict[str, Any]) -> None:
    unknown = api.post(f"/volumes/{volume['id']}/action", {"os-frobnicate": {}})
    assert unknown.status_code == 400
    assert "os-frobnicate" in unknown.json()["badRequest"]["message"]
    assert api.post(f"/volumes/{volume['id']}/action", {"os-extend": {}, "os-x": {}}).status_code == 400
    assert api.post(f"/volumes/{volume['id']}/action", {"os-extend": 3}).status_code == 400


def test_reset_status_by_an_admin(api: Api, volume: dict[str, Any]) -> None:
    response = api.post(f"/volumes/{volume['id']}/action",
                        {"os-reset_status": {"status": "error", "attach_status": "detached"}})
    assert response.status_code == 202
    assert db.volume_get(volume["id"]).status == Status.ERROR


@pytest.mark.parametrize("args", [{"status": "bogus"}, {}, {"attach_status": "sideways"}])
def test_bad_reset_status_is_a_400(api: Api, volume: dict[str, Any], args: dict[str, str]) -> None:
    assert api.post(f"/volumes/{volume['id']}/action", {"os-reset_status": args}).status_code == 400
    assert db.volume_get(volume["id"]).status == Status.AVAILABLE


def test_admin_actions_by_a_non_admin_are_403(volume: dict[str, Any], set_conf: Any, app_factory: Any) -> None:
    set_conf("noauth_admin_projects", ["admin"])
    owner = Api(app_factory())
    response = owner.post(f"/volumes/{volume['id']}/action", {"os-reset_status": {"status": "error"}})
    assert response.status_code == 403
    assert response.json() == {"forbidden": {"code": 403, "message": "Policy doesn't allow "
                               "volume_extension:volume_admin_actions:reset_status to be performed."}}
    assert owner.post(f"/volumes/{volume['id']}/action", {"os-force_delete": {}}).status_code == 403
    assert db.volume_get(volume["id"]).status == Status.AVAILABLE
    assert "os-vol-host-attr:host" not in owner.get(f"/volumes/{volume['id']}").json()["volume"]


def test_force_delete_from_a_stuck_status(api: Api, volume: dict[str, Any], casts: list[Any]) -> None:
    assert db.volume_transition(volume["id"], edge("extend.begin")) is not None
    assert api.delete(f"/volumes/{volume['id']}").status_code == 400
    assert api.post(f"/volumes/{volume['id']}/action", {"os-force_delete": {}}).status_code == 202
    assert db.volume_get(volume["id"]).status == Status.DELETING
    assert [c[0] for c in casts] == ["delete_volume"]


def test_set_bootable(api: Api, volume: dict[str, Any]) -> None:
    assert api.post(f"/volumes/{volume['id']}/action", {"os-set_bootable": {"bootable": True}}).status_code == 200
    assert api.get(f"/volumes/{volume['id']}").json()["volume"]["bootable"] == "true"


def test_another_project_cannot_see_or_touch_the_volume(volume: dict[str, Any], set_conf: Any,
                                                        app_factory: Any) -> None:
    set_conf("noauth_admin_projects", ["admin"])
    other = Api(app_factory(), OTHER_TOKEN)
    path = f"/volumes/{volume['id']}"
    assert other.get(path).status_code == 404
    assert other.put(path, {"volume": {"name": "mine"}}).status_code == 404
    assert other.delete(path).status_code == 404
    assert other.post(f"{path}/action", {"os-extend": {"new_size": 2}}).status_code == 404
    assert other.post("/snapshots", {"snapshot": {"volume_id": volume["id"]}}).status_code == 404
    after = db.volume_get(volume["id"])
    assert (after.name, after.status, after.size_gb) == ("v", Status.AVAILABLE, 1)


def test_concurrent_extend_delete_reset_exactly_one_wins(api: Api, volume: dict[str, Any], casts: list[Any],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """All three read the same version before any writes; the swap lets exactly one through."""
    barrier = threading.Barrier(3, timeout=10)
    real_get = db.volume_get

    def get_then_wait(volume_id: str, **kwargs: Any) -> Any:
        found = real_get(volume_id, **kwargs)
        barrier.wait()
        return found

    monkeypatch.setattr(db, "volume_get", get_then_wait)
    path = f"/volumes/{volume['id']}"
    requests = [("POST", f"{path}/action", {"os-extend": {"new_size": 2}}), ("DELETE", path, None),
                ("POST", f"{path}/action", {"os-reset_status": {"status": "error"}})]
    codes: list[int] = []

    def run(method: str, url: str, body: Any) -> None:
        codes.append(api.request(method, url, body).status_code)

    threads = [threading.Thread(target=run, args=r) for r in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(codes) == [202, 400, 400]
    assert len(casts) <= 1
    final = real_get(volume["id"])
    assert final.status in (Status.EXTENDING, Status.DELETING, Status.ERROR)
    assert db.quota_get("proj-a")["gigabytes"][1] == (2 if final.status == Status.EXTENDING else 1)


def test_metadata_endpoints(api: Api, volume: dict[str, Any]) -> None:
    base = f"/volumes/{volume['id']}/metadata"
    assert api.post(base, {"metadata": {"a": "1", "b": "2"}}).json() == {"metadata": {"a": "1", "b": "2"}}
    assert api.post(base, {"metadata": {"c": "3"}}).json()["metadata"] == {"a": "1", "b": "2", "c": "3"}
    assert api.get(f"{base}/b").json() == {"meta": {"b": "2"}}
    assert api.put(f"{base}/b", {"meta": {"b": "20"}}).json() == {"meta": {"b": "20"}}
    assert api.put(f"{base}/b", {"meta": {"x": "1"}}).status_code == 400
    assert api.delete(f"{base}/a").status_code == 200
    assert api.get(f"{base}/a").status_code == 404
    assert api.put(base, {"metadata": {"only": "this"}}).json() == {"metadata": {"only": "this"}}
    assert api.get(base).json() == {"metadata": {"only": "this"}}
    assert api.post(base, {"metadata": {"k": 5}}).status_code == 400
    assert db.volume_get(volume["id"]).metadata == {"only": "this"}


def test_concurrent_metadata_merges_lose_no_acknowledged_key(api: Api, volume: dict[str, Any]) -> None:
    base = f"/volumes/{volume['id']}/metadata"
    codes: dict[str, int] = {}

    def merge(key: str) -> None:
        codes[key] = api.post(base, {"metadata": {key: "v"}}).status_code

    threads = [threading.Thread(target=merge, args=(f"k{i}",)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    merged = db.volume_get(volume["id"]).metadata
    assert set(codes.values()) <= {200, 400}
    assert {key for key, code in codes.items() if code == 200} == set(merged)


def test_update_readonly_flag_shows_in_the_metadata_as_cinder_keeps_it(api: Api) -> None:
    volume = api.create_volume()
    path = f"/volumes/{volume['id']}/action"
    for readonly, shown in ((True, "True"), ("false", "False")):
        assert api.post(path, {"os-update_readonly_flag": {"readonly": readonly}}).status_code == 202
        assert api.get(f"/volumes/{volume['id']}").json()["volume"]["metadata"]["readonly"] == shown
    assert api.post(path, {"os-update_readonly_flag": {"readonly": "perhaps"}}).status_code == 400
    assert api.post(path, {"os-update_readonly_flag": {}}).status_code == 400
