"""Manage and unmanage on the api side: the backend's answer checked before a row is written, the row
inserted managing on the pool with its quota, the casts; the manageable lists paged and sorted."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from db import api as db
from tests.unit.api.conftest import POOL, Api, make_available
from volume.client import VolumeClient
from volume.states.snapshots import SnapshotStatus, snapshot_edge
from volume.states.volumes import Status

V = "3.8"
BACKEND = POOL.split("#")[0]
ENTRIES = [
    {"reference": {"source-name": "lv-a"}, "size": 3, "safe_to_manage": True, "reason_not_safe": None,
     "cinder_id": None, "extra_info": None},
    {"reference": {"source-name": "lv-b"}, "size": 1, "safe_to_manage": False, "reason_not_safe": "Already managed.",
     "cinder_id": "00000000-0000-4000-8000-000000000001", "extra_info": {"lv_attr": "-wi-a-----"}},
    {"reference": {"source-name": "lv-c"}, "size": 2, "safe_to_manage": False, "reason_not_safe": "it is open",
     "cinder_id": None, "extra_info": None},
]


@pytest.fixture
def backend(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, str | None]]:
    """The backend's answers to the api's calls: lv-a is 3 GB in the pool; anything else is refused."""
    asked: list[tuple[str, str, str | None]] = []

    def manageable(self: VolumeClient, ctx: Any, backend_host: str, *, kind: str, name: str | None,
                   timeout_s: int) -> dict[str, Any]:
        asked.append((backend_host, kind, name))
        if name is None:
            return {"acted": True, "entries": [dict(e) for e in ENTRIES]}
        if name in ("lv-a", "volume-feed"):
            return {"acted": True, "entry": dict(ENTRIES[0]), "pool": POOL.partition("#")[2]}
        return {"acted": True, "error": f"no LV {name}"}

    monkeypatch.setattr(VolumeClient, "manageable", manageable)
    return asked


@pytest.fixture
def admin(set_conf: Callable[..., None], app_factory: Callable[[], TestClient]) -> Iterator[Api]:
    set_conf("noauth_admin_projects", ["admin"])
    yield Api(app_factory(), "root:admin")


def _manage(api: Api, path: str = "/os-volume-manage", **fields: Any) -> Any:
    body = {"host": POOL, "ref": {"source-name": "lv-a"}, **fields}
    return api.post(path, {"volume": body})


def test_manage_inserts_a_managing_volume_on_the_pool_and_casts(admin: Api, backend: Any, casts: list[Any]) -> None:
    response = _manage(admin, name="taken", metadata={"k": "v"}, bootable=True)
    assert response.status_code == 202, response.text
    shown = response.json()["volume"]
    assert (shown["status"], shown["size"], shown["name"], shown["bootable"]) == ("managing", 3, "taken", "true")
    volume = db.volume_get(shown["id"])
    assert volume.host == POOL and volume.project_id == "admin" and volume.metadata == {"k": "v"}
    assert casts == [("manage_volume", BACKEND, {"volume_id": volume.id, "name": "lv-a"})]
    usage = db.quota_get("admin")
    assert usage["volumes"][1] == 1 and usage["gigabytes"][1] == 3


def test_manage_from_3_8_on_manageable_volumes_and_by_source_id(admin: Api, backend: Any, casts: list[Any]) -> None:
    assert _manage(admin.as_(admin.token, "3.7"), "/manageable_volumes").status_code == 404
    response = admin.as_(admin.token, V).post("/manageable_volumes", {"volume": {
        "host": BACKEND, "ref": {"source-id": "feed"}}})
    assert response.status_code == 202, response.text
    assert casts[-1][2]["name"] == "volume-feed"


def test_a_reference_the_backend_refuses_writes_nothing(admin: Api, backend: Any, casts: list[Any]) -> None:
    response = admin.post("/os-volume-manage", {"volume": {"host": POOL, "ref": {"source-name": "nope"}}})
    assert response.status_code == 400
    assert "invalid backend reference" in response.json()["badRequest"]["message"]
    assert db.volume_list(project_id=None) == [] and casts == []


@pytest.mark.parametrize("host", ["nohost@x", f"{BACKEND}#other"])
def test_an_unknown_host_is_404(admin: Api, backend: Any, casts: list[Any], host: str) -> None:
    response = admin.post("/os-volume-manage", {"volume": {"host": host, "ref": {"source-name": "lv-a"}}})
    assert response.status_code == 404 and f"Host '{host}' not found" in response.text
    assert backend == []


@pytest.mark.parametrize("body", [{"volume": {"host": POOL}}, {"volume": {"host": POOL, "ref": {}}},
                                  {"volume": {"ref": {"source-name": "lv-a"}}}, {"volume": {"host": POOL,
                                   "ref": {"source-name": "lv-a"}, "volume_type": "no-such-type"}}])
def test_bad_bodies_are_4xx_that_change_nothing(admin: Api, backend: Any, casts: list[Any],
                                                body: dict[str, Any]) -> None:
    response = admin.post("/os-volume-manage", body)
    assert response.status_code in (400, 404), response.text
    assert db.volume_list(project_id=None) == [] and casts == []


def test_a_project_member_may_not_manage_or_list(admin: Api, backend: Any, casts: list[Any]) -> None:
    api = admin.as_("alice:proj-a")
    assert _manage(api).status_code == 403
    assert api.as_(api.token, V).get("/manageable_volumes", params={"host": BACKEND}).status_code == 403
    assert backend == [] and casts == []


def test_the_list_is_paged_and_sorted(admin: Api, backend: Any) -> None:
    listed = admin.as_(admin.token, V).get("/manageable_volumes", params={"host": BACKEND, "sort": "size:asc"})
    assert listed.status_code == 200, listed.text
    items = listed.json()["manageable-volumes"]
    assert [i["reference"]["source-name"] for i in items] == ["lv-b", "lv-c", "lv-a"]
    assert set(items[0]) == {"reference", "size", "safe_to_manage"}
    detail = admin.as_(admin.token, V).get("/manageable_volumes/detail", params={
        "host": BACKEND, "limit": 1, "marker": "lv-c"}).json()["manageable-volumes"]  # default: reference, desc
    assert detail == [{**ENTRIES[1]}]
    assert admin.as_(admin.token, V).get("/manageable_volumes").status_code == 400  # no host
    snapshots = admin.as_(admin.token, V).get("/manageable_snapshots", params={"host": BACKEND})
    assert snapshots.status_code == 200 and "manageable-snapshots" in snapshots.json()


def test_unmanage_casts_and_refuses_a_volume_with_snapshots(admin: Api, backend: Any, casts: list[Any]) -> None:
    volume = admin.create_volume(1)
    make_available(volume["id"])
    snapshot = admin.post("/snapshots", {"snapshot": {"volume_id": volume["id"]}}).json()["snapshot"]
    refused = admin.post(f"/volumes/{volume['id']}/action", {"os-unmanage": {}})
    assert refused.status_code == 400 and "snapshots" in refused.text
    assert db.snapshot_transition(snapshot["id"], snapshot_edge("create.done"))
    casts.clear()
    assert admin.post(f"/snapshots/{snapshot['id']}/action", {"os-unmanage": {}}).status_code == 202
    assert db.snapshot_get(snapshot["id"]).status == SnapshotStatus.UNMANAGING
    assert casts == [("unmanage_snapshot", BACKEND, {"snapshot_id": snapshot["id"]})]
    assert db.snapshot_destroy(snapshot["id"], snapshot_edge("unmanage.done")) is not None
    assert admin.post(f"/volumes/{volume['id']}/action", {"os-unmanage": {}}).status_code == 202
    assert db.volume_get(volume["id"]).status == Status.UNMANAGING
    assert casts[-1] == ("unmanage_volume", BACKEND, {"volume_id": volume["id"]})


def test_a_member_may_not_unmanage(admin: Api, casts: list[Any]) -> None:
    api = admin.as_("alice:proj-a")
    volume = api.create_volume(1)
    make_available(volume["id"])
    assert api.post(f"/volumes/{volume['id']}/action", {"os-unmanage": {}}).status_code == 403
    assert db.volume_get(volume["id"]).status == Status.AVAILABLE


def test_deleting_a_failed_manage_unmanages_it(admin: Api, backend: Any, casts: list[Any]) -> None:
    volume_id = _manage(admin).json()["volume"]["id"]
    assert db.volume_transition(volume_id, (frozenset({"managing"}), "error_managing"))
    casts.clear()
    assert admin.delete(f"/volumes/{volume_id}").status_code == 202
    assert casts == [("unmanage_volume", BACKEND, {"volume_id": volume_id})]  # the data is left in place


def test_manage_snapshot_claims_the_volume(admin: Api, backend: Any, casts: list[Any]) -> None:
    volume = admin.create_volume(3)
    make_available(volume["id"])
    version = db.volume_get(volume["id"]).version
    response = admin.as_(admin.token, V).post("/manageable_snapshots", {"snapshot": {
        "volume_id": volume["id"], "ref": {"source-name": "lv-a"}, "name": "s", "metadata": {"a": "b"}}})
    assert response.status_code == 202, response.text
    snapshot = db.snapshot_get(response.json()["snapshot"]["id"])
    assert (snapshot.status, snapshot.name, snapshot.metadata) == (SnapshotStatus.MANAGING, "s", {"a": "b"})
    assert db.volume_get(volume["id"]).version == version + 1
    assert casts[-1] == ("manage_snapshot", BACKEND, {"snapshot_id": snapshot.id, "name": "lv-a"})
