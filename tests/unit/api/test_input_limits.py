"""Hostile and malformed input: Cinder's limits and faults, never a 500, and nothing changed."""

from __future__ import annotations

from typing import Any

import pytest

from db import api as db
from tests.unit.api.conftest import Api, make_available


def _count() -> int:
    return db.volume_count(project_id=None)


def _fault(response: Any, code: int) -> str:
    assert response.status_code == code, response.text
    body = response.json()
    assert len(body) == 1
    (fault,) = body.values()
    assert fault["code"] == code
    return str(fault["message"])


def test_a_body_above_max_request_body_size_is_a_413_in_cinders_format(api: Api) -> None:
    metadata = {f"k{i}": "v" * 200 for i in range(600)}  # about 130 kB
    response = api.post("/volumes", {"volume": {"size": 1, "metadata": metadata}})
    assert "too large" in _fault(response, 413)
    assert response.headers["content-type"] == "application/json"
    assert _count() == 0


def test_a_chunked_body_is_counted_as_it_arrives(api: Api) -> None:
    def chunks() -> Any:
        yield b'{"volume": {"size": 1, "description": "'
        for _ in range(200):
            yield b"x" * 1024
        yield b'"}}'

    response = api.client.post("/v3/volumes", content=chunks(),
                               headers={**api.headers(), "Content-Type": "application/json"})
    _fault(response, 413)
    assert _count() == 0


def test_the_body_limit_is_the_oslo_middleware_option(set_conf: Any, app_factory: Any) -> None:
    set_conf("max_request_body_size", 300, group="oslo_middleware")
    small = Api(app_factory())
    assert small.post("/volumes", {"volume": {"size": 1, "description": "d" * 400}}).status_code == 413
    assert small.post("/volumes", {"volume": {"size": 1}}).status_code == 202


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"])
def test_a_body_that_is_not_declared_json_is_a_415(api: Api, content_type: str) -> None:
    response = api.post("/volumes", content=b'{"volume": {"size": 1}}', headers={"Content-Type": content_type})
    assert _fault(response, 415)
    assert "badMediaType" in response.json()
    assert _count() == 0


def test_json_content_types_are_accepted(api: Api) -> None:
    for content_type in ("application/json; charset=utf-8", "application/vnd.openstack.volume+json"):
        response = api.post("/volumes", content=b'{"volume": {"size": 1}}', headers={"Content-Type": content_type})
        assert response.status_code == 202


def test_limit_zero_is_an_empty_page(api: Api) -> None:
    api.create_volume()
    body = api.get("/volumes/detail", params={"limit": 0}).json()
    assert body == {"volumes": []}


@pytest.mark.parametrize(("path", "params"), [
    ("/messages", {"limit": "abc"}), ("/messages", {"sort": "bogus"}), ("/types", {"sort": "bogus"}),
    ("/types", {"limit": "-3"}), ("/snapshots", {"sort_dir": "sideways"}), ("/volumes", {"offset": "x"}),
    ("/volumes", {"with_count": "maybe"}), ("/volumes", {"marker": "m" * 37}),
])
def test_every_list_checks_its_paging_the_same_way(api: Api, path: str, params: dict[str, str]) -> None:
    _fault(api.as_(api.token, "3.45").get(path, params=params), 400)


def test_types_and_messages_page_with_a_marker(api: Api) -> None:
    for name in ("a", "b", "c"):
        db.type_create(name=name)
    first = api.get("/types", params={"limit": 2, "sort": "name:asc"}).json()
    assert [t["name"] for t in first["volume_types"]] == ["__DEFAULT__", "a"]
    marker = first["volume_types"][-1]["id"]
    rest = api.get("/types", params={"marker": marker, "sort": "name:asc"}).json()
    assert [t["name"] for t in rest["volume_types"]] == ["b", "c"]


def test_another_projects_marker_is_as_unknown_as_a_made_up_one(restricted_apis: tuple[Api, Api]) -> None:
    alice, bob = restricted_apis
    theirs = bob.create_volume()["id"]
    mine = alice.create_volume()["id"]
    unknown = _fault(alice.get("/volumes", params={"marker": "00000000-0000-0000-0000-000000000000"}), 404)
    other = _fault(alice.get("/volumes", params={"marker": theirs}), 404)
    assert unknown.replace("00000000-0000-0000-0000-000000000000", "X") == other.replace(theirs, "X")
    assert alice.get("/volumes", params={"marker": mine}).json()["volumes"] == []


@pytest.fixture
def restricted_apis(set_conf: Any, app_factory: Any) -> tuple[Api, Api]:
    set_conf("noauth_admin_projects", ["admin"])
    client = app_factory()
    return Api(client, "alice:proj-a"), Api(client, "bob:proj-b")


@pytest.mark.parametrize("field", ["name", "description", "display_name"])
@pytest.mark.parametrize("text", ["nul\x00byte", "bell\x07", "escape\x1b[31m"])
def test_control_characters_in_names_and_descriptions_are_refused(api: Api, field: str, text: str) -> None:
    assert field in _fault(api.post("/volumes", {"volume": {"size": 1, field: text}}), 400)
    assert _count() == 0


def test_a_description_may_hold_line_breaks(api: Api) -> None:
    assert api.create_volume(description="line one\nline two\tend")["description"] == "line one\nline two\tend"


@pytest.mark.parametrize("value", [{}, [], 3, "perhaps"])
def test_booleans_must_be_booleans(api: Api, value: Any) -> None:
    assert "multiattach" in _fault(api.post("/volumes", {"volume": {"size": 1, "multiattach": value}}), 400)
    assert _count() == 0


@pytest.mark.parametrize("field", ["status", "attach_status", "migration_status"])
@pytest.mark.parametrize("value", [{"x": 1}, ["available"], 7])
def test_reset_status_with_a_non_string_is_a_400(api: Api, field: str, value: Any) -> None:
    volume = api.create_volume()
    make_available(volume["id"])
    before = db.volume_get(volume["id"])
    assert field in _fault(api.post(f"/volumes/{volume['id']}/action", {"os-reset_status": {field: value}}), 400)
    assert db.volume_get(volume["id"]) == before


@pytest.mark.parametrize("value", [{"x": 1}, ["available"], 7, "bogus"])
def test_snapshot_reset_status_with_a_bad_status_is_a_400(api: Api, value: Any) -> None:
    volume = api.create_volume()
    make_available(volume["id"])
    snapshot = db.snapshot_create(project_id="proj-a", user_id="alice", volume_id=volume["id"],
                                  volume_version=db.volume_get(volume["id"]).version,
                                  volume_claim=(frozenset({"available"}), "available"), status="creating")
    response = api.post(f"/snapshots/{snapshot.id}/action", {"os-reset_status": {"status": value}})
    assert "status" in _fault(response, 400)
    assert db.snapshot_get(snapshot.id).status == "creating"


@pytest.mark.parametrize("path", ["/volumes/" + "a" * 37, "/snapshots/" + "b" * 40, "/messages/" + "c" * 64,
                                  "/volumes/" + "d" * 300 + "/metadata"])
def test_ids_longer_than_their_column_are_a_400(api: Api, path: str) -> None:
    _fault(api.as_(api.token, "3.3").get(path), 400)


def test_a_token_with_a_project_longer_than_the_column_is_refused(api: Api) -> None:
    response = api.as_("u:" + "p" * 256).post("/volumes", {"volume": {"size": 1}})
    _fault(response, 401)
    assert _count() == 0


def test_a_huge_metadata_filter_is_a_400(api: Api) -> None:
    _fault(api.get("/volumes", params={"metadata": "{" * 9000}), 400)


def test_an_unknown_action_and_a_malformed_action_body_are_400s(api: Api) -> None:
    volume = api.create_volume()
    assert "no such action" in _fault(api.post(f"/volumes/{volume['id']}/action", {"os-fly": {}}), 400)
    _fault(api.post(f"/volumes/{volume['id']}/action", {"os-extend": {}, "os-fly": {}}), 400)
    _fault(api.post(f"/volumes/{volume['id']}/action", {"os-extend": "big"}), 400)


def test_a_rejected_integer_past_64_bits_is_a_400_not_a_500(api: Api) -> None:
    response = api.get("/snapshots", params={"offset": "9551474456649841280697578270194925568", "display_name": "x"})
    assert "offset" in _fault(response, 400)
    assert "limit" in _fault(api.get("/volumes", params={"limit": str(2**70)}), 400)


def test_type_list_takes_cinderclients_is_public_none(api: Api) -> None:
    db.type_create(name="hidden", is_public=False)
    every = api.get("/types", params={"is_public": "None"}).json()["volume_types"]
    assert {t["name"] for t in every} == {"__DEFAULT__", "hidden"}
    private = api.get("/types", params={"is_public": "false"}).json()["volume_types"]
    assert [t["name"] for t in private] == ["hidden"]
    _fault(api.get("/types", params={"is_public": "sometimes"}), 400)


@pytest.mark.parametrize(("field", "listed"), [("status", "'available', 'creating'"),
                                               ("attach_status", "'attached', 'detached'"),
                                               ("migration_status", "'completing', 'error'")])
def test_an_unknown_status_is_answered_with_the_values_as_plain_strings(api: Api, field: str, listed: str) -> None:
    volume = api.create_volume()
    make_available(volume["id"])
    before = db.volume_get(volume["id"])
    message = _fault(api.post(f"/volumes/{volume['id']}/action", {"os-reset_status": {field: "bogus"}}), 400)
    assert f"Invalid input for field/attribute {field}. Value: bogus. 'bogus' is not one of [" in message
    assert listed in message and "<" not in message  # no enum repr such as <Status.AVAILABLE: 'available'>
    assert db.volume_get(volume["id"]) == before


def _enums(schema: Any) -> list[list[Any]]:
    if isinstance(schema, dict):
        found = [list(schema["enum"])] if "enum" in schema else []
        return found + [e for value in schema.values() for e in _enums(value)]
    if isinstance(schema, list):
        return [e for value in schema for e in _enums(value)]
    return []


def test_every_enum_of_every_route_lists_plain_json_values() -> None:
    from api import routes

    schemas: list[Any] = []
    for spec in routes.ALL:
        schemas += [spec.body, spec.response, *spec.path_params.values(), *(p.schema for p in spec.query),
                    *(a.args for a in spec.actions)]
    enums = _enums(schemas)
    assert enums
    for enum in enums:
        assert all(type(value) in (str, bool, int, type(None)) for value in enum), enum
