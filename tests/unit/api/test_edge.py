"""The HTTP edge: version documents, microversions, noauth, the project in the URL, faults, request ids."""

from __future__ import annotations

from typing import Any

import pytest

from api import errors
from db import api as db
from db import session
from tests.unit.api.conftest import TOKEN, Api


def test_root_serves_the_versions_document_without_a_token(api: Api) -> None:
    response = api.client.get("/")
    assert response.status_code == 300
    (version,) = response.json()["versions"]
    assert version["id"] == "v3.0"
    assert version["status"] == "CURRENT"
    assert (version["min_version"], version["version"]) == ("3.0", "3.71")
    assert {"rel": "self", "href": "http://testserver/v3/"} in version["links"]


@pytest.mark.parametrize("path", ["/v3", "/v3/"])
def test_v3_serves_its_version_without_a_token(api: Api, path: str) -> None:
    response = api.client.get(path)
    assert response.status_code == 200
    assert [v["id"] for v in response.json()["versions"]] == ["v3.0"]


def test_tokenless_v3_request_gets_the_noauth_handshake(api: Api) -> None:
    response = api.client.get("/v3/volumes", headers={"X-Auth-User": "carol", "X-Auth-Project-Id": "p9"})
    assert response.status_code == 204
    assert response.headers["X-Auth-Token"] == "carol:p9"
    assert response.headers["X-Server-Management-Url"] == "http://testserver/v3/volumes/p9"


def test_healthcheck_answers_ok_while_the_db_answers(api: Api) -> None:
    response = api.client.get("/healthcheck")
    assert (response.status_code, response.text) == (200, "OK")


def test_healthcheck_answers_503_when_the_db_fails(api: Api, conf: Any) -> None:
    session.configure(conf, url="mysql+pymysql://nobody@127.0.0.1:1/nothing")  # nothing listens there
    assert api.client.get("/healthcheck").status_code == 503


def test_token_without_project_uses_the_user_as_project(api: Api) -> None:
    solo = api.as_("solo")
    volume = solo.get(f"/volumes/{solo.create_volume()['id']}").json()["volume"]
    assert volume["os-vol-tenant-attr:tenant_id"] == "solo"
    assert volume["user_id"] == "solo"


def test_project_in_the_url_is_accepted_when_it_matches_the_token(api: Api) -> None:
    volume = api.create_volume(name="in-url")
    response = api.client.get(f"/v3/proj-a/volumes/{volume['id']}", headers={"X-Auth-Token": TOKEN})
    assert response.status_code == 200
    assert response.json()["volume"]["name"] == "in-url"


def test_project_in_the_url_that_differs_from_the_token_is_a_400(api: Api) -> None:
    response = api.client.get("/v3/proj-zz/volumes", headers={"X-Auth-Token": TOKEN})
    assert response.status_code == 400
    assert response.json()["badRequest"]["message"] == "Malformed request url"  # Cinder 29's words


def test_default_microversion_is_3_0_and_is_echoed(api: Api) -> None:
    response = api.get("/volumes")
    assert response.headers["OpenStack-API-Version"] == "volume 3.0"
    assert response.headers["Vary"] == "OpenStack-API-Version"


@pytest.mark.parametrize(("asked", "answered"), [("3.45", "volume 3.45"), ("latest", "volume 3.71"),
                                                 ("3.0", "volume 3.0")])
def test_requested_microversion_is_honoured(api: Api, asked: str, answered: str) -> None:
    response = api.get("/volumes", headers={"OpenStack-API-Version": f"volume {asked}"})
    assert response.status_code == 200
    assert response.headers["OpenStack-API-Version"] == answered


@pytest.mark.parametrize("asked", ["3.72", "2.0", "4.1"])
def test_unsupported_microversion_is_a_406(api: Api, asked: str) -> None:
    response = api.get("/volumes", headers={"OpenStack-API-Version": f"volume {asked}"})
    assert response.status_code == 406
    assert "3.71" in response.json()["computeFault"]["message"]  # Cinder names no other fault for a 406


@pytest.mark.parametrize("asked", ["3.x", "three", "3.01", "3"])
def test_malformed_microversion_is_a_400(api: Api, asked: str) -> None:
    response = api.get("/volumes", headers={"OpenStack-API-Version": f"volume {asked}"})
    assert response.status_code == 400
    assert "invalid format" in response.json()["badRequest"]["message"]


@pytest.mark.parametrize("header", ["compute 2.90", "garbage", "0", "volume", "volume 3.x, compute 2.1"])
def test_microversion_header_without_a_volume_version_is_a_400(api: Api, header: str) -> None:
    response = api.get("/volumes", headers={"OpenStack-API-Version": header})
    assert response.status_code == 400
    assert response.json()["badRequest"]["code"] == 400


def test_microversion_header_may_name_other_services_too(api: Api) -> None:
    response = api.get("/volumes", headers={"OpenStack-API-Version": "compute 2.90, volume 3.50"})
    assert response.headers["OpenStack-API-Version"] == "volume 3.50"


def test_sane_incoming_request_id_is_kept_and_a_bad_one_replaced(api: Api) -> None:
    rid = "req-12345678-1234-1234-1234-123456789abc"
    assert api.get("/volumes", headers={"X-OpenStack-Request-ID": rid}).headers["x-openstack-request-id"] == rid
    assert api.get("/volumes", headers={"X-Request-ID": rid}).headers["x-openstack-request-id"] == rid
    replaced = api.get("/volumes", headers={"X-Request-ID": "evil\\nvalue"}).headers["x-openstack-request-id"]
    assert replaced.startswith("req-") and replaced != rid


def test_unknown_path_and_method_are_cinder_faults(api: Api) -> None:
    for path in ("/volumes/x/no-such-thing", "/no-such-collection"):
        missing = api.get(path)
        assert missing.status_code == 404
        assert missing.json()["itemNotFound"]["code"] == 404
    wrong_method = api.request("PATCH", "/volumes")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["badMethod"]["code"] == 405


@pytest.mark.parametrize(("path", "allowed"), [
    ("/volumes", {"GET", "HEAD", "POST"}),
    ("/volumes/00000000-0000-0000-0000-000000000000", {"GET", "HEAD", "PUT", "DELETE"}),
    ("/volumes/00000000-0000-0000-0000-000000000000/metadata", {"GET", "HEAD", "POST", "PUT"}),
])
def test_a_405_names_every_method_the_path_serves(api: Api, path: str, allowed: set[str]) -> None:
    for prefix in ("", f"/{api.token.split(':')[1] if api.token else ''}"):
        response = api.request("PATCH", prefix + path)
        assert response.status_code == 405
        assert {m.strip() for m in response.headers["allow"].split(",")} == allowed


def test_each_method_of_a_path_reaches_its_own_handler(api: Api) -> None:
    volume = api.create_volume()
    path = f"/volumes/{volume['id']}"
    assert api.get(path).json()["volume"]["id"] == volume["id"]
    assert api.request("HEAD", path).status_code == 200
    assert api.put(path, {"volume": {"name": "renamed"}}).json()["volume"]["name"] == "renamed"
    assert "to delete it" in api.delete(path).json()["badRequest"]["message"]  # still creating: no scheduler here


@pytest.mark.parametrize("headers", [
    {"X-Forwarded-Host": "evil.example:666", "X-Forwarded-Proto": "https"},
    {"Forwarded": "host=evil.example:666;proto=https"},
])
def test_forwarded_headers_do_not_change_links_unless_the_operator_trusts_them(
        set_conf: Any, app_factory: Any, headers: dict[str, str]) -> None:
    volume = Api(app_factory()).create_volume()
    plain = Api(app_factory())
    shown = plain.get(f"/volumes/{volume['id']}", headers=headers).json()["volume"]
    assert all(link["href"].startswith("http://testserver/") for link in shown["links"])
    assert plain.client.get("/", headers=headers).json()["versions"][0]["links"][-1]["href"].startswith(
        "http://testserver/")

    set_conf("enable_proxy_headers_parsing", True, group="oslo_middleware")
    behind_proxy = Api(app_factory())
    shown = behind_proxy.get(f"/volumes/{volume['id']}", headers=headers).json()["volume"]
    assert all(link["href"].startswith("https://evil.example:666/") for link in shown["links"])
    root = behind_proxy.client.get("/", headers={**headers, "X-Forwarded-Prefix": "/block"}).json()
    assert root["versions"][0]["links"][-1]["href"] == "https://evil.example:666/block/v3/"


def test_a_trusted_proxy_header_that_is_no_host_is_ignored(set_conf: Any, app_factory: Any) -> None:
    set_conf("enable_proxy_headers_parsing", True, group="oslo_middleware")
    api = Api(app_factory())
    volume = api.create_volume()
    shown = api.get(f"/volumes/{volume['id']}", headers={"X-Forwarded-Host": "a b/c", "X-Forwarded-Proto": "gopher"})
    assert all(link["href"].startswith("http://testserver/") for link in shown.json()["volume"]["links"])


def test_unexpected_error_is_a_500_that_only_names_the_request(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_: Any, **__: Any) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(db, "volume_list", boom)
    response = api.get("/volumes")
    assert response.status_code == 500
    message = response.json()["computeFault"]["message"]
    assert "secret" not in message
    assert response.headers["x-openstack-request-id"] in message


def test_body_that_is_not_json_is_a_400(api: Api) -> None:
    response = api.post("/volumes", content=b"{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["badRequest"]["message"].startswith("Malformed request body")


def test_every_mapped_error_class_has_a_cinder_fault_name() -> None:
    for code, kind in errors.HTTP_FAULT.values():
        assert errors.STATUS_FAULT.get(code, kind) == kind
