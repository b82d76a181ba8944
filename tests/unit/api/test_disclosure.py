"""What an error answered to a project says: its own resources in user-level words, never a backend
host, a broker or a storage command line; an admin's answer adds them, and the log always has them."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import oslo_messaging as messaging
import pytest
from starlette.testclient import TestClient

from api.actions.attachments import RULE
from db import api as db
from rpc import transport
from tests.unit.api.conftest import POOL, Api, beat, make_available
from volume.states.attachments import attachment_edge
from volume.states.volumes import Status

BACKEND = POOL.split("#")[0]  # host@file-1
BROKER = "mq1.example.net:5672"
CONNECTOR = {"initiator": "iqn.1993-08.org.debian:01:compute-1", "host": "compute-1", "ip": "192.0.2.21"}


@pytest.fixture
def tenant_and_admin(set_conf: Callable[..., None], app_factory: Callable[[], TestClient]) -> tuple[Api, Api]:
    set_conf("noauth_admin_projects", ["admin"])
    set_conf("attachment_call_timeout_s", 1)
    client = app_factory()
    return Api(client, "alice:proj-a", "3.71"), Api(client, "admin:admin", "3.71")


def _available(api: Api) -> str:
    volume_id: str = api.create_volume()["id"]
    make_available(volume_id)
    return volume_id


class _BrokerDown:
    """oslo.messaging's client when the broker refuses the message (the same error a real one raises)."""

    def cast(self, ctx: Any, method: str, **kwargs: Any) -> None:
        raise messaging.MessageDeliveryFailure(f"Unable to connect to AMQP server on {BROKER} after inf tries")


def _fault(response: Any, kind: str) -> str:
    message: str = response.json()[kind]["message"]
    return message


def test_an_unreachable_volume_service_is_named_to_admins_only(
        tenant_and_admin: tuple[Api, Api], monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    tenant, admin = tenant_and_admin
    first, second = _available(tenant), _available(tenant)
    monkeypatch.setattr(transport, "client", lambda *args, **kwargs: _BrokerDown())
    caplog.set_level(logging.WARNING, logger="api.actions.volumes")
    refused = tenant.delete(f"/volumes/{first}")
    assert refused.status_code == 503
    told = _fault(refused, "serviceUnavailable")
    assert told == "The volume's storage service cannot be reached right now; retry later."
    volume = db.volume_get(first)
    assert (volume.status, volume.status_reason) == (Status.ERROR_DELETING, told)
    assert BACKEND in caplog.text and BROKER in caplog.text  # the operator's detail, under the request id

    shown = admin.delete(f"/volumes/{second}")
    assert shown.status_code == 503
    assert BACKEND in _fault(shown, "serviceUnavailable") and BROKER in _fault(shown, "serviceUnavailable")
    assert BACKEND not in (db.volume_get(second).status_reason or "")  # the project's own volume shows it


def test_a_connect_nobody_answers_names_no_host(tenant_and_admin: tuple[Api, Api]) -> None:
    tenant, admin = tenant_and_admin
    volume_id = _available(tenant)  # placed on host@file-1, whose volume service does not run here
    refused = tenant.post("/attachments", {"attachment": {"volume_uuid": volume_id, "connector": CONNECTOR}})
    assert refused.status_code == 503
    told = _fault(refused, "serviceUnavailable")
    assert told.startswith("The volume's storage service did not answer within 1 s. Attachment ")
    assert told.endswith(" was not connected: retry the request.") and BACKEND not in told
    # the reservation this request made goes with its failed connect: the client's retry starts afresh
    assert db.attachments_of([volume_id]).get(volume_id, []) == []
    assert db.volume_get(volume_id).status == "available"
    reserved = admin.post("/attachments", {"attachment": {"volume_uuid": volume_id}}).json()["attachment"]
    shown = admin.put(f"/attachments/{reserved['id']}", {"attachment": {"connector": CONNECTOR}})
    assert shown.status_code == 503 and BACKEND in _fault(shown, "serviceUnavailable")


def test_a_frozen_backend_is_named_to_admins_only(tenant_and_admin: tuple[Api, Api]) -> None:
    tenant, admin = tenant_and_admin
    volume_id = _available(tenant)
    beat("node-a")
    assert admin.put("/os-services/freeze", {"host": BACKEND}).status_code == 200
    refused = tenant.post(f"/volumes/{volume_id}/action", {"os-extend": {"new_size": 2}})
    assert refused.status_code == 400
    assert _fault(refused, "badRequest") == ("Invalid volume: its backend is frozen; an admin thaws it with "
                                              "PUT /os-services/thaw.")
    shown = admin.post(f"/volumes/{volume_id}/action", {"os-extend": {"new_size": 2}})
    assert shown.status_code == 400 and BACKEND in _fault(shown, "badRequest")


def test_an_attachment_busy_on_a_live_service_names_it_to_admins_only(tenant_and_admin: tuple[Api, Api]) -> None:
    tenant, admin = tenant_and_admin
    volume_id = _available(tenant)
    reserved = tenant.post("/attachments", {"attachment": {"volume_uuid": volume_id}}).json()["attachment"]
    assert db.attachment_transition(reserved["id"], attachment_edge("connect.begin"), rule=RULE,
                                    connector=CONNECTOR) is not None
    assert db.work_claim(resource_type="attachment", resource_id=reserved["id"], operation="connect",
                         working_status="connecting", backend_host=BACKEND, node="node-a") is not None
    beat("node-a")  # the volume service connecting it is alive
    refused = tenant.delete(f"/attachments/{reserved['id']}")
    assert refused.status_code == 400
    told = _fault(refused, "badRequest")
    assert "is busy" in told and "connect" in told and "node-a" not in told and BACKEND not in told
    shown = admin.delete(f"/attachments/{reserved['id']}")
    assert shown.status_code == 400
    assert "node-a" in _fault(shown, "badRequest") and BACKEND in _fault(shown, "badRequest")
