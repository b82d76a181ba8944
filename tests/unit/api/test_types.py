"""/types: list, show (by id, name or "default"), create/update/delete, extra specs; writes admin only."""

from __future__ import annotations

from typing import Any

import pytest

from db import api as db
from tests.unit.api.conftest import Api


def _create(api: Api, name: str = "gold", **fields: Any) -> dict[str, Any]:
    response = api.post("/types", {"volume_type": {"name": name, **fields}})
    assert response.status_code == 200, response.text
    created: dict[str, Any] = response.json()["volume_type"]
    return created


@pytest.fixture
def restricted(set_conf: Any, app_factory: Any) -> tuple[Api, Api]:
    """(admin, plain user) when only project 'admin' is admin."""
    set_conf("noauth_admin_projects", ["admin"])
    client = app_factory()
    return Api(client, "root:admin"), Api(client, "alice:proj-a")


def test_create_show_list(api: Api) -> None:
    gold = _create(api, "gold", description="fast", extra_specs={"volume_backend_name": "file-1"})
    assert gold["extra_specs"] == {"volume_backend_name": "file-1"}
    assert gold["is_public"] is True and gold["os-volume-type-access:is_public"] is True
    assert api.get(f"/types/{gold['id']}").json()["volume_type"]["name"] == "gold"
    assert api.get("/types/gold").json()["volume_type"]["id"] == gold["id"]
    assert api.get("/types/default").json()["volume_type"]["name"] == db.DEFAULT_TYPE_NAME
    names = [t["name"] for t in api.get("/types").json()["volume_types"]]
    assert sorted(names) == sorted([db.DEFAULT_TYPE_NAME, "gold"])


def test_duplicate_name_is_a_409(api: Api) -> None:
    _create(api, "gold")
    response = api.post("/types", {"volume_type": {"name": "gold"}})
    assert response.status_code == 409
    assert "conflictingRequest" in response.json()


@pytest.mark.parametrize("body", [{"volume_type": {}}, {"volume_type": {"name": "  "}},
                                  {"volume_type": {"name": "x", "extra_specs": {"k": 1}}},
                                  {"volume_type": {"name": "x", "os-volume-type-access:is_public": "maybe"}},
                                  {"name": "x"}])
def test_bad_create_is_a_400(api: Api, body: Any) -> None:
    assert api.post("/types", body).status_code == 400
    assert len(db.type_list()) == 1


def test_update_and_delete(api: Api) -> None:
    gold = _create(api)
    response = api.put(f"/types/{gold['id']}", {"volume_type": {"name": "platinum", "description": "x"}})
    assert response.status_code == 200
    assert response.json()["volume_type"]["name"] == "platinum"
    assert api.put(f"/types/{gold['id']}", {"volume_type": {}}).status_code == 400
    assert api.delete(f"/types/{gold['id']}").status_code == 202
    assert api.get(f"/types/{gold['id']}").status_code == 404


def test_volume_shows_a_renamed_type_by_its_new_name(api: Api) -> None:
    gold = _create(api)
    volume = api.create_volume(volume_type="gold")
    api.put(f"/types/{gold['id']}", {"volume_type": {"name": "platinum"}})
    assert api.get(f"/volumes/{volume['id']}").json()["volume"]["volume_type"] == "platinum"


def test_type_in_use_cannot_be_deleted(api: Api) -> None:
    gold = _create(api)
    api.create_volume(volume_type="gold")
    response = api.delete(f"/types/{gold['id']}")
    assert response.status_code == 400
    assert "in use" in response.json()["badRequest"]["message"]


def test_default_type_cannot_be_deleted(api: Api) -> None:
    assert api.delete("/types/default").status_code == 400


def test_extra_specs(api: Api) -> None:
    gold = _create(api)
    base = f"/types/{gold['id']}/extra_specs"
    assert api.post(base, {"extra_specs": {"a": "1", "b": "2"}}).json() == {"extra_specs": {"a": "1", "b": "2"}}
    assert api.get(base).json() == {"extra_specs": {"a": "1", "b": "2"}}
    assert api.get(f"{base}/a").json() == {"a": "1"}
    assert api.put(f"{base}/a", {"a": "9"}).json() == {"a": "9"}
    assert api.put(f"{base}/a", {"b": "9"}).status_code == 400
    assert api.delete(f"{base}/b").status_code == 202
    assert api.get(f"{base}/b").status_code == 404
    assert api.get(base).json() == {"extra_specs": {"a": "9"}}
    assert api.post(base, {"specs": {}}).status_code == 400


def test_writes_are_admin_only_and_private_types_hidden(restricted: tuple[Api, Api]) -> None:
    admin, user = restricted
    secret = _create(admin, "secret", **{"os-volume-type-access:is_public": False})
    public = _create(admin, "public", extra_specs={"k": "v", "multiattach": "<is> True"})
    forbidden = user.post("/types", {"volume_type": {"name": "mine"}})
    assert forbidden.status_code == 403
    assert forbidden.json()["forbidden"]["message"] == (
        "Policy doesn't allow volume_extension:type_create to be performed.")
    assert user.delete(f"/types/{public['id']}").status_code == 403
    assert user.post(f"/types/{public['id']}/extra_specs", {"extra_specs": {"x": "y"}}).status_code == 403
    assert sorted(t["name"] for t in user.get("/types").json()["volume_types"]) == [db.DEFAULT_TYPE_NAME, "public"]
    # as Cinder's defaults: a project's caller reads the user-visible extra specs only, an admin all of them
    assert user.get(f"/types/{public['id']}").json()["volume_type"]["extra_specs"] == {"multiattach": "<is> True"}
    assert user.get(f"/types/{public['id']}/extra_specs").json() == {"extra_specs": {"multiattach": "<is> True"}}
    assert user.get(f"/types/{public['id']}/extra_specs/k").status_code == 404
    assert admin.get(f"/types/{public['id']}/extra_specs/k").json() == {"k": "v"}
    assert user.get(f"/types/{secret['id']}").status_code == 404
    assert user.post("/volumes", {"volume": {"size": 1, "volume_type": "secret"}}).status_code == 404
    assert sorted(t["name"] for t in admin.get("/types", params={"is_public": "false"}).json()["volume_types"]) \
        == ["secret"]
