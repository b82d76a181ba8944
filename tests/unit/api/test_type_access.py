"""Private volume types shared with projects (Cinder's type access): who sees and uses them, and the admin
calls that share them."""

from __future__ import annotations

from typing import Any

from db import api as db
from tests.unit.api.conftest import Api


def _apis(set_conf: Any, app_factory: Any) -> tuple[Api, Api, Api]:
    set_conf("noauth_admin_projects", ["admin"])
    client = app_factory()
    return Api(client, "root:admin"), Api(client, "alice:proj-a"), Api(client, "bob:proj-b")


def test_a_private_type_shared_with_a_project_is_seen_and_used_there_only(set_conf: Any, app_factory: Any) -> None:
    admin, alice, bob = _apis(set_conf, app_factory)
    private = admin.post("/types", {"volume_type": {"name": "secret", "os-volume-type-access:is_public": False}})
    type_id = private.json()["volume_type"]["id"]
    assert alice.post("/volumes", {"volume": {"size": 1, "volume_type": type_id}}).status_code == 404
    action = f"/types/{type_id}/action"
    assert admin.post(action, {"addProjectAccess": {"project": "proj-a"}}).status_code == 202
    assert admin.post(action, {"addProjectAccess": {"project": "proj-a"}}).status_code == 409
    created = alice.post("/volumes", {"volume": {"size": 1, "volume_type": type_id}})
    assert created.status_code == 202 and created.json()["volume"]["volume_type"] == "secret"
    assert "secret" in {t["name"] for t in alice.get("/types").json()["volume_types"]}
    assert "secret" not in {t["name"] for t in bob.get("/types").json()["volume_types"]}
    assert bob.get(f"/types/{type_id}").status_code == 404
    listed = admin.get(f"/types/{type_id}/os-volume-type-access").json()["volume_type_access"]
    assert listed == [{"volume_type_id": type_id, "project_id": "proj-a"}]
    assert alice.get(f"/types/{type_id}/os-volume-type-access").status_code == 403
    assert alice.post(action, {"addProjectAccess": {"project": "proj-b"}}).status_code == 403
    assert admin.post(action, {"removeProjectAccess": {"project": "proj-a"}}).status_code == 202
    assert admin.post(action, {"removeProjectAccess": {"project": "proj-a"}}).status_code == 404
    assert alice.get(f"/types/{type_id}").status_code == 404
    assert db.type_access_list(type_id) == []


def test_access_calls_on_a_public_type_are_refused(set_conf: Any, app_factory: Any) -> None:
    admin, _, _ = _apis(set_conf, app_factory)
    type_id = admin.post("/types", {"volume_type": {"name": "open"}}).json()["volume_type"]["id"]
    assert admin.post(f"/types/{type_id}/action", {"addProjectAccess": {"project": "p"}}).status_code == 400
    assert admin.get(f"/types/{type_id}/os-volume-type-access").status_code == 404
    assert admin.post(f"/types/{type_id}/action", {"addProjectAccess": {}}).status_code == 400
