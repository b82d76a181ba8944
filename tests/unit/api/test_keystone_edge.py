"""The api under auth_strategy = keystone, up to where a token would be sent to Keystone: keystonemiddleware
(the real one, in process) refuses a request without a token before asking anything. The answers with
real tokens are the keystone tier's (tests/keystone/test_keystone_auth.py)."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from api import keystone
from api.keystone import TokenCache

IDENTITY = "http://keystone.example:5000/v3"


@pytest.fixture
def keystone_api(api_conf: Any, set_conf: Any, app_factory: Any) -> TestClient:
    set_conf("auth_strategy", "keystone")
    keystone.register(api_conf)  # as launch.opts does once it reads auth_strategy = keystone
    set_conf("www_authenticate_uri", IDENTITY, group="keystone_authtoken")
    client: TestClient = app_factory()
    return client


@pytest.mark.parametrize(("method", "path"), [("GET", "/v3/volumes"), ("POST", "/v3/volumes"),
                                              ("GET", "/v3/proj-a/volumes/detail"), ("GET", "/v3/no-such-thing"),
                                              ("DELETE", "/v3/os-quota-sets/proj-a")])
def test_a_request_without_a_token_is_a_401_naming_keystone(keystone_api: TestClient, method: str,
                                                            path: str) -> None:
    response = keystone_api.request(method, path)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == f'Keystone uri="{IDENTITY}"'
    assert response.json() == {"unauthorized": {"code": 401, "message": "The request you have made requires "
                                                                         "authentication."}}
    assert response.headers["x-openstack-request-id"].startswith("req-")
    assert "x-auth-token" not in response.headers  # no noauth handshake


def test_the_token_less_routes_stay_token_less(keystone_api: TestClient) -> None:
    assert keystone_api.get("/").status_code == 300
    assert keystone_api.get("/v3/").status_code == 200
    assert keystone_api.get("/healthcheck").text == "OK"
    document = keystone_api.get("/v3/openapi.json").json()
    assert set(document["components"]["securitySchemes"]) == {"keystone"}
    create = document["paths"]["/v3/volumes"]["post"]
    assert create["security"] == [{"keystone": []}] and "204" not in create["responses"]


def test_the_document_names_each_operations_rule_and_its_401_and_403(api: Any) -> None:
    document = api.client.get("/v3/openapi.json").json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if path in ("/", "/v3", "/v3/", "/v3/openapi.json", "/healthcheck"):
                assert "x-policy" not in operation and "401" not in operation["responses"]
                continue
            assert operation["x-policy"], (method, path)
            assert {"401", "403"} <= set(operation["responses"]), (method, path)
    actions = document["paths"]["/v3/volumes/{volume_id}/action"]["post"]
    assert actions["x-policy"] == "volume:get"
    assert actions["x-action-policies"]["os-reset_status"] == "volume_extension:volume_admin_actions:reset_status"
    assert document["paths"]["/v3/{project_id}/attachments"]["get"]["x-policy"] == "ember:attachment_get_all"


def test_the_token_cache_expires_evicts_and_is_one_object(monkeypatch: pytest.MonkeyPatch) -> None:
    cache = TokenCache(max_items=2)
    assert cache  # keystonemiddleware takes a falsy cache object for none at all
    now = [1000.0]
    monkeypatch.setattr("api.keystone.time.monotonic", lambda: now[0])
    cache.set("a", b"A", time=300)
    cache.set("b", b"B")
    assert cache.get("a") == b"A"  # a is now the most recently used
    cache.set("c", b"C")
    assert cache.get("b") is None and cache.get("a") == b"A" and cache.get("c") == b"C"
    now[0] += 300
    assert cache.get("a") is None and cache.get("c") == b"C"  # c has no lifetime
    assert cache.size() == 1
