"""Group types and group specs (3.11), groups (3.13): create, show, list, update with volumes, delete, reset."""

from __future__ import annotations

from typing import Any

import pytest

from db import api as db
from tests.unit.api.conftest import OTHER_TOKEN, Api, make_available
from volume.states.volumes import Status

V = "3.20"


@pytest.fixture
def admin(api: Api) -> Api:
    return api.as_(api.token, V)


def _group_type(api: Api, name: str = "gt", **fields: Any) -> dict[str, Any]:
    response = api.post("/group_types", {"group_type": {"name": name, **fields}})
    assert response.status_code == 202, response.text
    created: dict[str, Any] = response.json()["group_type"]
    return created


def _volume_type(api: Api, name: str = "vt") -> str:
    response = api.post("/types", {"volume_type": {"name": name}})
    assert response.status_code == 200, response.text
    type_id: str = response.json()["volume_type"]["id"]
    return type_id


def _group(api: Api, group_type: str, volume_types: list[str], **fields: Any) -> str:
    response = api.post("/groups", {"group": {"group_type": group_type, "volume_types": volume_types, **fields}})
    assert response.status_code == 202, response.text
    body = response.json()["group"]
    assert set(body) == {"id", "name"}
    group_id: str = body["id"]
    return group_id


def _volume_in(api: Api, group_id: str, volume_type: str) -> str:
    volume = api.create_volume(1, volume_type=volume_type, group_id=group_id)
    assert volume["group_id"] == group_id
    make_available(volume["id"])
    volume_id: str = volume["id"]
    return volume_id


def test_group_types_need_3_11(api: Api) -> None:
    assert api.as_(api.token, "3.10").get("/group_types").status_code == 404


def test_group_type_create_update_show_delete_as_tempest(admin: Api) -> None:
    created = _group_type(admin, "g1", description="d", is_public=True,
                          group_specs={"consistent_group_snapshot_enabled": "<is> False"})
    assert set(created) == {"id", "name", "description", "is_public", "group_specs"}
    assert admin.post("/group_types", {"group_type": {"name": "g1"}}).status_code == 409
    updated = admin.put(f"/group_types/{created['id']}", {"group_type": {"name": "g2", "description": "u"}})
    assert updated.status_code == 200 and updated.json()["group_type"]["name"] == "g2"
    shown = admin.get(f"/group_types/{created['id']}").json()["group_type"]
    assert (shown["name"], shown["description"], shown["is_public"]) == ("g2", "u", True)
    assert admin.get("/group_types/default").status_code == 404
    assert admin.delete(f"/group_types/{created['id']}").status_code == 202
    assert created["id"] not in [g["id"] for g in admin.get("/group_types").json()["group_types"]]


def test_group_type_list_filters_public_and_sorts(admin: Api) -> None:
    _group_type(admin, "a_pub", is_public=True)
    _group_type(admin, "b_priv", is_public=False)
    names = [g["name"] for g in admin.get("/group_types?sort=name:desc&is_public=None").json()["group_types"]]
    assert names.index("b_priv") < names.index("a_pub")
    private = [g["name"] for g in admin.get("/group_types?is_public=False").json()["group_types"]]
    assert "b_priv" in private and "a_pub" not in private
    public = [g["name"] for g in admin.get("/group_types").json()["group_types"]]
    assert "a_pub" in public and "b_priv" not in public and "default_cgsnapshot_type" in public


def test_group_specs_crud(admin: Api) -> None:
    gid = _group_type(admin)["id"]
    base = f"/group_types/{gid}/group_specs"
    created = admin.post(base, {"group_specs": {"key1": "value1", "key2": "value2"}})
    assert created.status_code == 202 and created.json() == {"group_specs": {"key1": "value1", "key2": "value2"}}
    assert admin.post(base, {"group_specs": {"key2": "v2", "key3": "v3"}}).json()["group_specs"] == {
        "key2": "v2", "key3": "v3"}
    assert admin.get(f"{base}/key2").json() == {"key2": "v2"}
    assert admin.put(f"{base}/key3", {"key3": "x"}).json() == {"key3": "x"}
    assert admin.put(f"{base}/key3", {"other": "x"}).status_code == 400
    assert admin.get(base).json()["group_specs"] == {"key1": "value1", "key2": "v2", "key3": "x"}
    assert admin.delete(f"{base}/key1").status_code == 202
    assert admin.get(f"{base}/key1").status_code == 404


def test_group_specs_hidden_and_writes_refused_for_members(admin: Api, set_conf: Any, app_factory: Any) -> None:
    gid = _group_type(admin, group_specs={"k": "v"})["id"]
    set_conf("noauth_admin_projects", ["admin"])
    member = Api(app_factory(), OTHER_TOKEN, V)
    shown = member.get(f"/group_types/{gid}")
    assert shown.status_code == 200 and "group_specs" not in shown.json()["group_type"]
    assert member.post("/group_types", {"group_type": {"name": "x"}}).status_code == 403
    assert member.get(f"/group_types/{gid}/group_specs").status_code == 403


def test_group_create_show_list_with_volumes(admin: Api) -> None:
    gtype = _group_type(admin)["id"]
    vtype = _volume_type(admin)
    group_id = _group(admin, gtype, [vtype], name="g")
    other = _group(admin, gtype, [vtype], name="empty")
    volume_id = _volume_in(admin, group_id, vtype)
    shown = admin.get(f"/groups/{group_id}").json()["group"]
    assert (shown["status"], shown["group_type"], shown["volume_types"]) == ("available", gtype, [vtype])
    assert shown["group_snapshot_id"] is None and "volumes" not in shown
    listed = admin.as_(admin.token, "3.25").get(f"/groups/{group_id}?list_volume=True").json()["group"]
    assert listed["volumes"] == [volume_id]
    detail = {g["id"]: g for g in admin.get("/groups/detail").json()["groups"]}
    assert set(detail) == {group_id, other}
    assert admin.get(f"/volumes/{volume_id}").json()["volume"]["group_id"] == group_id
    assert admin.as_(admin.token, "3.12").get(f"/volumes/{volume_id}").json()["volume"].get("group_id") is None


def test_a_volume_of_another_type_cannot_join(admin: Api) -> None:
    gtype = _group_type(admin)["id"]
    group_id = _group(admin, gtype, [_volume_type(admin, "in")])
    response = admin.post("/volumes", {"volume": {"size": 1, "volume_type": _volume_type(admin, "out"),
                                                  "group_id": group_id}})
    assert response.status_code == 400 and "does not take volume type" in response.text


def test_update_removes_and_adds_volumes(admin: Api) -> None:
    gtype, vtype = _group_type(admin)["id"], _volume_type(admin)
    group_id = _group(admin, gtype, [vtype])
    first, second = _volume_in(admin, group_id, vtype), _volume_in(admin, group_id, vtype)
    response = admin.put(f"/groups/{group_id}", {"group": {"name": "new", "description": "d",
                                                           "remove_volumes": second}})
    assert response.status_code == 202, response.text
    assert db.volume_get(second).group_id is None and db.volume_get(first).group_id == group_id
    assert admin.get(f"/groups/{group_id}").json()["group"]["name"] == "new"
    assert admin.put(f"/groups/{group_id}", {"group": {"add_volumes": f"{second},"}}).status_code == 202
    assert db.volume_get(second).group_id == group_id
    both = admin.put(f"/groups/{group_id}", {"group": {"add_volumes": first, "remove_volumes": first}})
    assert both.status_code == 400
    nothing = admin.put(f"/groups/{group_id}", {"group": {"name": "new"}})
    assert nothing.status_code == 400 and "no valid name" in nothing.text


def test_add_refuses_a_volume_in_another_group_or_on_another_backend(admin: Api) -> None:
    gtype, vtype = _group_type(admin)["id"], _volume_type(admin)
    one, two = _group(admin, gtype, [vtype]), _group(admin, gtype, [vtype])
    member = _volume_in(admin, one, vtype)
    taken = admin.put(f"/groups/{two}", {"group": {"add_volumes": member}})
    assert taken.status_code == 400 and f"already in group {one}" in taken.text
    db.pool_report("other@lvm", [{"name": "other@lvm#pool", "volume_backend_name": "lvm", "availability_zone": "nova",
                                  "total_capacity_gb": 10, "free_capacity_gb": 10, "capabilities": {}}])
    elsewhere = admin.create_volume(1, volume_type=vtype)
    make_available(elsewhere["id"], host="other@lvm#pool")
    assert db.group_get(one).host is None  # make_available placed it without the scheduler
    admin.put(f"/groups/{one}", {"group": {"remove_volumes": member}})
    assert admin.put(f"/groups/{one}", {"group": {"add_volumes": elsewhere["id"]}}).status_code == 202
    assert db.group_get(one).host == "other@lvm"
    refused = admin.put(f"/groups/{one}", {"group": {"add_volumes": member}})
    assert refused.status_code == 400 and "not local" in refused.text


def test_delete_needs_delete_volumes_when_the_group_holds_volumes(admin: Api, casts: list[Any]) -> None:
    gtype, vtype = _group_type(admin)["id"], _volume_type(admin)
    group_id = _group(admin, gtype, [vtype])
    volume_id = _volume_in(admin, group_id, vtype)
    refused = admin.post(f"/groups/{group_id}/action", {"delete": {"delete-volumes": False}})
    assert refused.status_code == 400 and "delete-volumes flag is required" in refused.text
    alone = admin.delete(f"/volumes/{volume_id}")
    assert alone.status_code == 400 and "belongs to group" in alone.text
    assert admin.delete(f"/group_types/{gtype}").status_code == 400  # still in use
    assert admin.post(f"/groups/{group_id}/action", {"delete": {"delete-volumes": True}}).status_code == 202
    assert db.volume_get(volume_id).status == Status.DELETING
    assert [c[0] for c in casts] == ["delete_volume"]
    assert admin.get(f"/groups/{group_id}").status_code == 404
    assert admin.delete(f"/group_types/{gtype}").status_code == 202


def test_groups_quota_is_taken_and_given_back(admin: Api) -> None:
    gtype, vtype = _group_type(admin)["id"], _volume_type(admin)
    group_id = _group(admin, gtype, [vtype])
    usage = {k: v for k, v in db.quota_get("proj-a").items() if k == "groups"}
    assert usage["groups"][1] == 1
    admin.post(f"/groups/{group_id}/action", {"delete": {}})
    assert db.quota_get("proj-a")["groups"][1] == 0
    assert db.quota_check() == []


def test_reset_status_is_admin_only_and_from_3_20(admin: Api, set_conf: Any, app_factory: Any) -> None:
    group_id = _group(admin, _group_type(admin)["id"], [_volume_type(admin)])
    old = admin.as_(admin.token, "3.19").post(f"/groups/{group_id}/action", {"reset_status": {"status": "error"}})
    assert old.status_code == 404
    for status in ("creating", "available", "error"):
        assert admin.post(f"/groups/{group_id}/action", {"reset_status": {"status": status}}).status_code == 202
        assert admin.get(f"/groups/{group_id}").json()["group"]["status"] == status
    assert admin.post(f"/groups/{group_id}/action", {"reset_status": {"status": "bogus"}}).status_code == 400


def test_the_reserved_group_type_makes_no_group(admin: Api) -> None:
    response = admin.post("/groups", {"group": {"group_type": "default_cgsnapshot_type",
                                                "volume_types": [_volume_type(admin)]}})
    assert response.status_code == 400 and "reserved" in response.text


def test_group_snapshot_requested_shown_and_deleted(admin: Api, casts: list[Any]) -> None:
    gtype, vtype = _group_type(admin)["id"], _volume_type(admin)
    group_id = _group(admin, gtype, [vtype])
    volumes = [_volume_in(admin, group_id, vtype) for _ in range(2)]
    response = admin.post("/group_snapshots", {"group_snapshot": {"group_id": group_id, "name": "gs"}})
    assert response.status_code == 202, response.text
    made = response.json()["group_snapshot"]
    assert made == {"id": made["id"], "name": "gs", "group_type_id": gtype}
    assert casts == [("create_group_snapshot", "host@file-1", {"group_snapshot_id": made["id"]})]
    shown = admin.get(f"/group_snapshots/{made['id']}").json()["group_snapshot"]
    assert (shown["status"], shown["group_id"]) == ("creating", group_id)
    assert [g["id"] for g in admin.get("/group_snapshots/detail").json()["group_snapshots"]] == [made["id"]]
    members = admin.get("/snapshots/detail").json()["snapshots"]
    assert sorted(m["volume_id"] for m in members) == sorted(volumes)
    assert all("group_snapshot_id" not in m for m in members)  # Tempest 47's snapshot schema has no such field
    extend = admin.post(f"/volumes/{volumes[0]}/action", {"os-extend": {"new_size": 2}})
    assert extend.status_code == 400 and "being created" in extend.text
    busy = admin.post(f"/groups/{group_id}/action", {"delete": {"delete-volumes": True}})
    assert busy.status_code == 400 and "existing snapshots" in busy.text
    member = admin.delete(f"/snapshots/{members[0]['id']}")
    assert member.status_code == 400 and "part of group snapshot" in member.text
    not_yet = admin.delete(f"/group_snapshots/{made['id']}")
    assert not_yet.status_code == 400
    assert admin.post(f"/group_snapshots/{made['id']}/action",
                      {"reset_status": {"status": "available"}}).status_code == 202
    assert admin.delete(f"/group_snapshots/{made['id']}").status_code == 202
    assert casts[-1] == ("delete_group_snapshot", "host@file-1", {"group_snapshot_id": made["id"]})
    assert {m["status"] for m in admin.get("/snapshots/detail").json()["snapshots"]} == {"deleting"}


def test_a_group_snapshot_of_a_volume_being_extended_is_refused(admin: Api, casts: list[Any]) -> None:
    gtype, vtype = _group_type(admin)["id"], _volume_type(admin)
    group_id = _group(admin, gtype, [vtype])
    volume_id = _volume_in(admin, group_id, vtype)
    assert admin.post(f"/volumes/{volume_id}/action", {"os-extend": {"new_size": 2}}).status_code == 202
    refused = admin.post("/group_snapshots", {"group_snapshot": {"group_id": group_id}})
    assert refused.status_code == 400 and "extending" in refused.text
    assert db.snapshot_list(project_id=None) == [] and admin.get("/group_snapshots").json()["group_snapshots"] == []


def test_an_empty_groups_snapshot_is_available_at_once(admin: Api, casts: list[Any]) -> None:
    group_id = _group(admin, _group_type(admin)["id"], [_volume_type(admin)])
    made = admin.post("/group_snapshots", {"group_snapshot": {"group_id": group_id}}).json()["group_snapshot"]
    assert admin.get(f"/group_snapshots/{made['id']}").json()["group_snapshot"]["status"] == "available"
    assert admin.delete(f"/group_snapshots/{made['id']}").status_code == 202
    assert admin.get(f"/group_snapshots/{made['id']}").status_code == 404 and casts == []
    old = admin.as_(admin.token, "3.18").post(f"/group_snapshots/{made['id']}/action",
                                              {"reset_status": {"status": "error"}})
    assert old.status_code == 404


def _available_group_snapshot(admin: Api, group_id: str) -> dict[str, Any]:
    made: dict[str, Any] = admin.post("/group_snapshots", {"group_snapshot": {"group_id": group_id}}).json()[
        "group_snapshot"]
    for member in db.group_snapshot_members(made["id"]):
        assert member.status == "creating"
    assert db.transition("group_snapshot", made["id"], (frozenset({"creating"}), "available"),
                         effects=db.Effects(members=((frozenset({"creating"}), "available", False),)))
    return made


def test_create_from_a_group_snapshot_and_from_a_group(admin: Api, casts: list[Any]) -> None:
    gtype, vtype = _group_type(admin)["id"], _volume_type(admin)
    group_id = _group(admin, gtype, [vtype])
    volumes = [_volume_in(admin, group_id, vtype) for _ in range(2)]
    made = _available_group_snapshot(admin, group_id)
    response = admin.post("/groups/action", {"create-from-src": {"group_snapshot_id": made["id"], "name": "copy"}})
    assert response.status_code == 202, response.text
    copy = response.json()["group"]
    shown = admin.get(f"/groups/{copy['id']}").json()["group"]
    assert (shown["name"], shown["group_snapshot_id"], shown["volume_types"]) == ("copy", made["id"], [vtype])
    new = db.group_volumes([copy["id"]])[copy["id"]]
    members = {m.id for m in db.group_snapshot_members(made["id"])}
    assert len(new) == 2 and {v.snapshot_id for v in new} == members and {v.status for v in new} == {"creating"}
    assert db.group_get(copy["id"]).host == "host@file-1"
    busy = admin.delete(f"/group_snapshots/{made['id']}")
    assert busy.status_code == 400 and "being created" in busy.text
    cloned = admin.post("/groups/action", {"create-from-src": {"source_group_id": group_id}})
    assert cloned.status_code == 202, cloned.text
    clones = db.group_volumes([cloned.json()["group"]["id"]])[cloned.json()["group"]["id"]]
    assert sorted(v.source_volid or "" for v in clones) == sorted(volumes)
    assert admin.post("/groups/action", {"create-from-src": {}}).status_code == 400
    assert admin.as_(admin.token, "3.13").post("/groups/action", {
        "create-from-src": {"source_group_id": group_id}}).status_code == 404


def test_create_from_an_empty_source_is_refused(admin: Api) -> None:
    group_id = _group(admin, _group_type(admin)["id"], [_volume_type(admin)])
    refused = admin.post("/groups/action", {"create-from-src": {"source_group_id": group_id}})
    assert refused.status_code == 400 and "Source Group is empty" in refused.text
