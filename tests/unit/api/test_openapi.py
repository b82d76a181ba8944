"""The OpenAPI document: served without a token, linked from /, and exactly the routes the app serves."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator
from starlette.routing import Route

from api import routes
from tests.unit.api.conftest import Api


def _document(api: Api) -> dict[str, Any]:
    response = api.client.get("/v3/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def test_the_document_is_served_without_a_token_and_linked_from_the_root(api: Api) -> None:
    document = _document(api)
    assert document["openapi"].startswith("3.1")
    assert document["servers"] == [{"url": "http://testserver"}]
    (version,) = api.client.get("/").json()["versions"]
    assert {"rel": "describedby", "type": "application/openapi+json",
            "href": "http://testserver/v3/openapi.json"} in version["links"]


def test_every_served_route_is_documented_and_every_documented_one_served(api: Api) -> None:
    served = {(route.path, method.lower()) for route in api.client.app.routes  # type: ignore[attr-defined]
              if isinstance(route, Route) for method in (route.methods or ()) if method != "HEAD"}
    documented = {(path, method) for path, item in _document(api)["paths"].items() for method in item}
    in_project = {(path, method) for path, method in documented if path.startswith("/v3/{project_id}")}
    assert documented - in_project == served
    scoped = {(spec.path, spec.method.lower()) for spec in routes.ALL if spec.project_scoped}
    assert {(path.replace("/v3/{project_id}", "/v3", 1), method) for path, method in in_project} == scoped
    assert scoped == {(path, method) for path, method in served if path.startswith("/v3/")} - {
        ("/v3/", "get"), ("/v3/openapi.json", "get")}


def test_every_operation_documents_its_answer_and_cinders_faults(api: Api) -> None:
    for path, item in _document(api)["paths"].items():
        for method, operation in item.items():
            codes = set(operation["responses"])
            assert codes & {"200", "202", "204", "300"}, (method, path)
            if path.startswith("/v3/") and path not in ("/v3/", "/v3/openapi.json"):
                fault = operation["responses"]["4XX"]["content"]["application/json"]["schema"]
                assert Draft202012Validator(fault).is_valid({"badRequest": {"code": 400, "message": "m"}})


def test_the_documented_schemas_are_the_ones_the_routes_check(api: Api) -> None:
    create = _document(api)["paths"]["/v3/volumes"]["post"]
    (spec,) = [r for r in routes.ALL if r.name == "create_volume"]
    assert create["requestBody"]["content"]["application/json"]["schema"] == spec.body
    assert create["responses"]["202"]["content"]["application/json"]["schema"] == spec.response
    listing = _document(api)["paths"]["/v3/volumes/detail"]["get"]
    assert {p["name"] for p in listing["parameters"] if p["in"] == "query"} >= {"limit", "marker", "sort", "status"}
    actions = _document(api)["paths"]["/v3/volumes/{volume_id}/action"]["post"]
    names = {next(iter(option["required"])) for option in
             actions["requestBody"]["content"]["application/json"]["schema"]["oneOf"]}
    assert {"os-extend", "os-reset_status", "os-force_delete", "os-set_bootable"} <= names
    assert set(actions["responses"]) >= {"200", "202", "4XX"}


def test_a_documented_answer_matches_its_schema(api: Api) -> None:
    document = _document(api)
    volume = api.create_volume(name="doc")
    schema = document["paths"]["/v3/volumes/{volume_id}"]["get"]["responses"]["200"]["content"]["application/json"]
    shown = api.as_(api.token, "3.71").get(f"/volumes/{volume['id']}").json()
    assert Draft202012Validator(schema["schema"]).is_valid(shown)
    listed = api.get("/volumes/detail").json()
    detail = document["paths"]["/v3/volumes/detail"]["get"]["responses"]["200"]["content"]["application/json"]
    assert Draft202012Validator(detail["schema"]).is_valid(listed)
