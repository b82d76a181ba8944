"""ember under ``auth_strategy = keystone``: a real ember-all validating real Keystone 30 tokens through
keystonemiddleware, and Cinder's policy deciding for each persona.

The ember-all listens where the catalog names ember (``ember_endpoint``) with the ``[keystone_authtoken]``
section the Keystone fixture gives. Every answer is asked over HTTP with the persona's own token.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from localcluster.keystone import Keystone

from bench.stack import EmbeddedStack
from tests.keystone import callers

pytestmark = pytest.mark.keystone


@pytest.fixture(scope="module")
def ember(keystone_ember: EmbeddedStack) -> EmbeddedStack:
    return keystone_ember


def _caller(ember: EmbeddedStack, token: str | None, project_id: str = "",
            service_token: str | None = None) -> callers.Caller:
    return callers.Caller(ember.endpoint, token, project_id, service_token)


def _as(ember: EmbeddedStack, logins: dict[str, tuple[str, str]], persona: str) -> callers.Caller:
    token, project_id = logins[persona]
    return _caller(ember, token, project_id)


def _available_volume(caller: callers.Caller, name: str) -> dict[str, Any]:
    created = caller.request("POST", "/volumes", {"volume": {"size": 1, "name": name}})
    assert created.status_code == 202, created.text
    volume: dict[str, Any] = created.json()["volume"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        shown = caller.request("GET", f"/volumes/{volume['id']}").json()["volume"]
        if shown["status"] == "available":
            return volume
        assert shown["status"] == "creating", shown
        time.sleep(0.2)
    raise AssertionError(f"volume {volume['id']} did not become available")


def _unauthorized(response: httpx.Response, keystone: Keystone) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["WWW-Authenticate"] == f'Keystone uri="{keystone.url}"'
    assert response.json()["unauthorized"]["code"] == 401


def test_each_persona_gets_what_cinders_policy_gives(ember: EmbeddedStack,
                                                     logins: dict[str, tuple[str, str]]) -> None:
    member, reader, other, admin = (_as(ember, logins, p) for p in ("demo-member", "demo-reader", "alt-member",
                                                                    "admin"))
    volume = _available_volume(member, "demo-vol")
    path = f"/volumes/{volume['id']}"
    # the member's volume is in the member's project, owned by the member
    shown = member.request("GET", path).json()["volume"]
    assert shown["os-vol-tenant-attr:tenant_id"] == member.project_id
    # the reader of the project reads it and changes nothing
    assert reader.request("GET", path).status_code == 200
    assert volume["id"] in {v["id"] for v in reader.request("GET", "/volumes").json()["volumes"]}
    for method, sub, body in (("POST", "/volumes", {"volume": {"size": 1}}), ("DELETE", path, None),
                              ("PUT", path, {"volume": {"name": "x"}}),
                              ("POST", f"{path}/action", {"os-extend": {"new_size": 2}})):
        denied = reader.request(method, sub, body)
        assert denied.status_code == 403, (method, sub, denied.text)
        assert denied.json()["forbidden"]["message"].startswith("Policy doesn't allow volume:")
    # a member of another project does not learn it exists: 404, not 403
    assert other.request("GET", path).status_code == 404
    assert other.request("DELETE", path).status_code == 404
    assert volume["id"] not in {v["id"] for v in other.request("GET", "/volumes").json()["volumes"]}
    # the admin (role admin on the admin project) acts as the cloud admin: any project, all_tenants, admin actions
    assert admin.request("GET", path).json()["volume"]["os-vol-host-attr:host"]
    assert volume["id"] in {v["id"] for v in admin.request("GET", "/volumes?all_tenants=1").json()["volumes"]}
    assert volume["id"] not in {v["id"] for v in admin.request("GET", "/volumes").json()["volumes"]}
    assert admin.request("GET", "/scheduler-stats/get_pools").status_code == 200
    assert member.request("GET", "/scheduler-stats/get_pools").status_code == 403
    reset = member.request("POST", f"{path}/action", {"os-reset_status": {"status": "error"}})
    assert reset.status_code == 403
    assert "volume_extension:volume_admin_actions:reset_status" in reset.json()["forbidden"]["message"]
    # the member deletes its own volume
    assert member.request("DELETE", path).status_code == 202


def test_the_admin_deletes_another_projects_volume(ember: EmbeddedStack,
                                                   logins: dict[str, tuple[str, str]]) -> None:
    member, admin = _as(ember, logins, "demo-member"), _as(ember, logins, "admin")
    volume = _available_volume(member, "for-the-admin")
    assert admin.request("DELETE", f"/volumes/{volume['id']}").status_code == 202


def test_no_bad_or_expired_token_is_a_401_naming_keystone(ember: EmbeddedStack, keystone: Keystone) -> None:
    _unauthorized(_caller(ember, None).request("GET", "/volumes"), keystone)
    _unauthorized(_caller(ember, "not-a-token").request("GET", "/volumes"), keystone)
    expired = keystone.expired_token("demo-member")
    _unauthorized(_caller(ember, expired.token).request("GET", "/volumes"), keystone)
    # the token-less routes stay token-less, and there is no noauth handshake
    assert httpx.get(f"{ember.endpoint}/", timeout=10).status_code == 200
    assert httpx.get(ember.endpoint.replace("/v3", "/healthcheck"), timeout=10).text == "OK"


def test_an_expired_user_token_passes_with_a_service_token_only(ember: EmbeddedStack, keystone: Keystone,
                                                                 logins: dict[str, tuple[str, str]]) -> None:
    expired = keystone.expired_token("demo-member")
    service_token, _ = logins["service"]
    member_token, _ = logins["demo-member"]
    # Nova during a long operation: the user's expired token with its own service token (role service)
    allowed = _caller(ember, expired.token, service_token=service_token).request("GET", "/volumes")
    assert allowed.status_code == 200, allowed.text
    # a valid token without the service role is no service token
    _unauthorized(_caller(ember, expired.token, service_token=member_token).request("GET", "/volumes"), keystone)
    # and the expired token alone still is no token
    _unauthorized(_caller(ember, expired.token).request("GET", "/volumes"), keystone)


def test_a_project_in_the_url_must_be_the_tokens(ember: EmbeddedStack, logins: dict[str, tuple[str, str]]) -> None:
    member, other = _as(ember, logins, "demo-member"), _as(ember, logins, "alt-member")
    assert member.request("GET", f"/{member.project_id}/volumes").status_code == 200
    mismatch = member.request("GET", f"/{other.project_id}/volumes")
    assert mismatch.status_code == 400
    assert mismatch.json() == {"badRequest": {"code": 400, "message": "Malformed request url"}}


def test_readers_see_attachments_without_connection_info(ember: EmbeddedStack,
                                                         logins: dict[str, tuple[str, str]]) -> None:
    member, reader = _as(ember, logins, "demo-member"), _as(ember, logins, "demo-reader")
    volume = _available_volume(member, "attached")
    connector = {"initiator": "iqn.1993-08.org.debian:01:keystone", "host": "compute-1", "ip": "127.0.0.1",
                 "platform": "x86_64", "os_type": "linux", "multipath": False}
    made = member.request("POST", "/attachments", {"attachment": {
        "volume_uuid": volume["id"], "instance_uuid": "6b1f3c4e-3a51-4c59-9a44-0c1f1a0a1b01",
        "connector": connector}})
    assert made.status_code == 200, made.text
    attachment = made.json()["attachment"]
    assert attachment["connection_info"]
    assert member.request("GET", f"/attachments/{attachment['id']}").json()["attachment"]["connection_info"]
    seen = reader.request("GET", f"/attachments/{attachment['id']}")
    assert seen.status_code == 200 and seen.json()["attachment"]["connection_info"] is None
    listed = reader.request("GET", "/attachments/detail").json()["attachments"]
    assert [a["connection_info"] for a in listed if a["id"] == attachment["id"]] == [None]
    assert reader.request("DELETE", f"/attachments/{attachment['id']}").status_code == 403
    assert member.request("DELETE", f"/attachments/{attachment['id']}").status_code == 200
