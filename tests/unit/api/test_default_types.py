"""Default volume types per project (3.62): set, show, list, unset; a volume created without a type gets it."""

from __future__ import annotations

from typing import Any

import pytest

from db import api as db
from tests.unit.api.conftest import Api


@pytest.fixture
def restricted(set_conf: Any, app_factory: Any) -> tuple[Api, Api]:
    set_conf("noauth_admin_projects", ["admin"])
    client = app_factory()
    return Api(client, "root:admin", "3.62"), Api(client, "alice:proj-a", "3.62")


def _type(admin: Api, name: str) -> str:
    answer = admin.post("/types", {"volume_type": {"name": name}})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["volume_type"]["id"])


def test_set_show_list_unset(restricted: tuple[Api, Api]) -> None:
    admin, _ = restricted
    gold = _type(admin, "gold")
    assert admin.get("/default-types/proj-a").status_code == 404
    done = admin.put("/default-types/proj-a", {"default_type": {"volume_type": "gold"}})
    assert done.status_code == 200, done.text
    assert done.json() == {"default_type": {"project_id": "proj-a", "volume_type_id": gold}}
    assert admin.get("/default-types/proj-a").json()["default_type"]["volume_type_id"] == gold
    silver = _type(admin, "silver")
    assert admin.put("/default-types/proj-a", {"default_type": {"volume_type": silver}}).status_code == 200
    assert admin.put("/default-types/proj-b", {"default_type": {"volume_type": gold}}).status_code == 200
    assert admin.get("/default-types").json() == {"default_types": [
        {"project_id": "proj-a", "volume_type_id": silver}, {"project_id": "proj-b", "volume_type_id": gold}]}
    assert admin.delete("/default-types/proj-a").status_code == 204
    assert admin.delete("/default-types/proj-a").status_code == 204  # none set: no error, as Cinder
    assert admin.get("/default-types/proj-a").status_code == 404


def test_a_volume_without_a_type_gets_the_projects_default(restricted: tuple[Api, Api]) -> None:
    admin, user = restricted
    gold = _type(admin, "gold")
    assert user.create_volume(1)["volume_type"] == db.DEFAULT_TYPE_NAME
    assert admin.put("/default-types/proj-a", {"default_type": {"volume_type": gold}}).status_code == 200
    assert user.create_volume(1)["volume_type"] == "gold"
    assert user.get("/types/default").json()["volume_type"]["id"] == gold
    assert Api(user.client, "bob:proj-b").create_volume(1)["volume_type"] == db.DEFAULT_TYPE_NAME
    unused = _type(admin, "unused")
    assert admin.put("/default-types/proj-c", {"default_type": {"volume_type": unused}}).status_code == 200
    refused = admin.delete(f"/types/{unused}")  # the default of a project cannot go
    assert refused.status_code == 400 and "default volume type of project proj-c" in refused.text
    assert admin.delete("/default-types/proj-a").status_code == 204
    assert user.create_volume(1)["volume_type"] == db.DEFAULT_TYPE_NAME


def test_rules_versions_and_bad_input(restricted: tuple[Api, Api]) -> None:
    admin, user = restricted
    _type(admin, "gold")
    body = {"default_type": {"volume_type": "gold"}}
    assert admin.as_(admin.token, "3.61").put("/default-types/proj-a", body).status_code == 404
    for answer in (user.put("/default-types/proj-a", body), user.get("/default-types/proj-a"),
                   user.get("/default-types"), user.delete("/default-types/proj-a")):
        assert answer.status_code == 403
    unknown = admin.put("/default-types/proj-a", {"default_type": {"volume_type": "no-such"}})
    assert unknown.status_code == 400 and "no-such" in unknown.json()["badRequest"]["message"]
    bad: dict[str, Any]
    for bad in ({}, {"default_type": {}}, {"default_type": {"volume_type": ""}},
                {"default_type": {"volume_type": "gold", "x": 1}}):
        assert admin.put("/default-types/proj-a", bad).status_code == 400
    assert admin.get("/default-types").json() == {"default_types": []}
