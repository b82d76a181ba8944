"""Attach and detach end to end in one process: the api, the scheduler and the volume service on fake://,
the file driver on a temporary folder. The data path is the file the connection_info names."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from oslo_config import cfg
from starlette.testclient import TestClient

from api.app import create_app
from db import api as db
from db import models
from db import session as db_session
from db.api._common import utcnow
from tests import datapath
from tests.unit.api.conftest import Api
from tests.unit.conftest import wait_for

CONNECTOR = {"initiator": "iqn.1993-08.org.debian:01:compute-1", "ip": "192.0.2.21", "host": "compute-1",
             "platform": "x86_64", "os_type": "linux", "multipath": False, "mountpoint": "/dev/vdb"}
OTHER_HOST = {**CONNECTOR, "initiator": "iqn.1993-08.org.debian:01:compute-2", "host": "compute-2"}
SERVER = "7f3c1d8e-5a41-4c26-9d3e-1b2a3c4d5e6f"
# what Cinder 29's volume manager adds to every driver's connection data
CINDER_OPTIONS = ("qos_specs", "access_mode", "encrypted", "cacheable", "enforce_multipath")
V = "3.71"


@pytest.fixture
def api(stack: object, conf: cfg.ConfigOpts) -> Iterator[Api]:
    with TestClient(create_app(conf)) as client:
        yield Api(client, "admin:admin", V)


def _volume(api: Api, **fields: Any) -> dict[str, Any]:
    volume = api.create_volume(1, **fields)
    wait_for(lambda: _show(api, volume["id"])["status"] == "available", what="available")
    return _show(api, volume["id"])


def _show(api: Api, volume_id: str) -> dict[str, Any]:
    body: dict[str, Any] = api.get(f"/volumes/{volume_id}").json()["volume"]
    return body


def _attach(api: Api, volume_id: str, connector: dict[str, Any] | None = CONNECTOR, **extra: Any) -> Any:
    return api.post("/attachments", {"attachment": {"volume_uuid": volume_id, "instance_uuid": SERVER,
                                                    "connector": connector, **extra}})


def test_attach_write_complete_detach(api: Api) -> None:
    volume = _volume(api)
    created = _attach(api, volume["id"])
    assert created.status_code == 200, created.text
    attachment = created.json()["attachment"]
    assert attachment["status"] == "attaching" and attachment["instance"] == SERVER
    info = attachment["connection_info"]
    assert info["driver_volume_type"] == "local" and "data" not in info  # flat, as Cinder's attachments API
    assert (info["access_mode"], info["attachment_id"], info["device_path"]) == (
        "rw", attachment["id"], str(datapath.target_of(info)[0]))
    assert {key: info[key] for key in CINDER_OPTIONS} == {
        "qos_specs": None, "access_mode": "rw", "encrypted": False, "cacheable": False, "enforce_multipath": False}
    assert _show(api, volume["id"])["status"] == "attaching"

    target = datapath.target_of(info)
    datapath.write(target, 0x5A, 4096)
    assert datapath.holds(target, 0x5A, 4096)

    done = api.post(f"/attachments/{attachment['id']}/action", {"os-complete": {}})
    assert done.status_code == 204, done.text
    shown = _show(api, volume["id"])
    assert (shown["status"], db.volume_get(volume["id"]).attach_status) == ("in-use", "attached")
    (listed,) = shown["attachments"]
    assert (listed["server_id"], listed["attachment_id"], listed["host_name"], listed["device"]) == (
        SERVER, attachment["id"], "compute-1", "/dev/vdb")
    assert db.volume_get(volume["id"]).provider_location is not None

    refused = api.delete(f"/volumes/{volume['id']}")
    assert refused.status_code == 400 and "attachment" in refused.json()["badRequest"]["message"]
    second = _attach(api, volume["id"], OTHER_HOST)
    assert second.status_code == 400 and "not multiattach" in second.json()["badRequest"]["message"]

    deleted = api.delete(f"/attachments/{attachment['id']}")
    assert deleted.status_code == 200 and deleted.json() == {"attachments": []}
    shown = _show(api, volume["id"])
    assert (shown["status"], db.volume_get(volume["id"]).attach_status, shown["attachments"]) == (
        "available", "detached", [])
    assert db.volume_get(volume["id"]).provider_location is None
    assert api.get(f"/attachments/{attachment['id']}").status_code == 404
    assert api.delete(f"/volumes/{volume['id']}").status_code == 202


def test_reserve_then_connect_with_put(api: Api) -> None:
    volume = _volume(api)
    reserved = _attach(api, volume["id"], None).json()["attachment"]
    assert (reserved["status"], reserved["connection_info"]) == ("reserved", None)
    shown = _show(api, volume["id"])
    assert (shown["status"], shown["attachments"]) == ("reserved", [])  # a reservation is not attached
    assert api.post(f"/attachments/{reserved['id']}/action", {"os-complete": {}}).status_code == 400
    updated = api.put(f"/attachments/{reserved['id']}", {"attachment": {"connector": CONNECTOR}})
    assert updated.status_code == 200, updated.text
    assert updated.json()["attachment"]["connection_info"]["device_path"].endswith(volume["id"])
    again = api.put(f"/attachments/{reserved['id']}", {"attachment": {"connector": CONNECTOR}})
    assert again.status_code == 200  # the same host asking again gets the same connection
    assert _show(api, volume["id"])["attachments"] == []  # connected, not attached until os-complete
    listed = api.get("/attachments", params={"volume_id": volume["id"], "status": "attaching"}).json()
    assert [a["id"] for a in listed["attachments"]] == [reserved["id"]]
    (detailed,) = api.get("/attachments/detail", params={"volume_id": volume["id"]}).json()["attachments"]
    assert detailed["connection_info"]["device_path"].endswith(volume["id"])
    assert api.delete(f"/attachments/{reserved['id']}").status_code == 200
    assert _show(api, volume["id"])["status"] == "available"


def test_a_reservation_without_connector_is_deleted_without_the_volume_service(api: Api) -> None:
    volume = _volume(api)
    reserved = _attach(api, volume["id"], None).json()["attachment"]
    assert api.delete(f"/attachments/{reserved['id']}").status_code == 200
    assert _show(api, volume["id"])["status"] == "available"


def test_read_only_mode_needs_3_54_and_reaches_the_connection(api: Api) -> None:
    volume = _volume(api)
    old = api.as_(api.token, "3.53")
    refused = old.post("/attachments", {"attachment": {"volume_uuid": volume["id"], "mode": "ro"}})
    assert refused.status_code == 400
    attachment = _attach(api, volume["id"], mode="ro").json()["attachment"]
    assert attachment["attach_mode"] == "ro" and attachment["connection_info"]["access_mode"] == "ro"


def test_multiattach_type_gives_several_attachments_and_keeps_the_export_for_the_last(api: Api) -> None:
    api.post("/types", {"volume_type": {"name": "shared", "extra_specs": {"multiattach": "<is> True"}}})
    volume = _volume(api, volume_type="shared")
    assert volume["multiattach"] is True
    first = _attach(api, volume["id"]).json()["attachment"]
    second = _attach(api, volume["id"], OTHER_HOST).json()["attachment"]
    for attachment in (first, second):
        assert api.post(f"/attachments/{attachment['id']}/action", {"os-complete": {}}).status_code == 204
    assert len(_show(api, volume["id"])["attachments"]) == 2
    remaining = api.delete(f"/attachments/{first['id']}").json()["attachments"]
    assert [a["id"] for a in remaining] == [second["id"]]
    assert _show(api, volume["id"])["status"] == "in-use"
    assert db.volume_get(volume["id"]).provider_location is not None  # the other host still uses it
    api.delete(f"/attachments/{second['id']}")
    assert _show(api, volume["id"])["status"] == "available"
    assert db.volume_get(volume["id"]).provider_location is None


def test_legacy_actions_reserve_connect_attach_terminate_detach(api: Api) -> None:
    volume = _volume(api)
    path = f"/volumes/{volume['id']}/action"
    assert api.post(path, {"os-reserve": {}}).status_code == 202
    shown = _show(api, volume["id"])  # Cinder's os-reserve: attaching, attach_status untouched, no attachment
    assert (shown["status"], db.volume_get(volume["id"]).attach_status, shown["attachments"]) == (
        "attaching", "detached", [])
    (held,) = api.get("/attachments", params={"volume_id": volume["id"]}).json()["attachments"]
    assert held["status"] == "reserved"
    assert api.post(path, {"os-unreserve": {}}).status_code == 202
    assert _show(api, volume["id"])["status"] == "available"
    assert api.post(path, {"os-reserve": {}}).status_code == 202
    connector = {**CONNECTOR, "enforce_multipath": True}
    connected = api.post(path, {"os-initialize_connection": {"connector": connector}})
    assert connected.status_code == 200, connected.text
    info = connected.json()["connection_info"]  # Cinder's shape: the driver's data apart, with its options
    assert info["driver_volume_type"] == "local" and info["enforce_multipath"] is True
    assert {key: info["data"][key] for key in CINDER_OPTIONS} == {
        "qos_specs": None, "access_mode": "rw", "encrypted": False, "cacheable": False, "enforce_multipath": True}
    assert _show(api, volume["id"])["status"] == "attaching"
    assert api.post(path, {"os-attach": {"instance_uuid": SERVER, "mountpoint": "/dev/vdc"}}).status_code == 202
    shown = _show(api, volume["id"])
    assert shown["status"] == "in-use" and shown["attachments"][0]["device"] == "/dev/vdc"
    assert api.post(path, {"os-begin_detaching": {}}).status_code == 202
    assert _show(api, volume["id"])["status"] == "detaching"
    assert api.post(path, {"os-roll_detaching": {}}).status_code == 202
    assert _show(api, volume["id"])["status"] == "in-use"
    assert api.post(path, {"os-begin_detaching": {}}).status_code == 202
    assert api.post(path, {"os-terminate_connection": {"connector": CONNECTOR}}).status_code == 202
    assert api.post(path, {"os-detach": {}}).status_code == 202
    shown = _show(api, volume["id"])
    assert (shown["status"], shown["attachments"]) == ("available", [])
    assert api.post(path, {"os-detach": {}}).status_code == 400


def test_force_detach_and_the_reset_that_refuses_to_hide_an_export(api: Api) -> None:
    volume = _volume(api)
    attachment = _attach(api, volume["id"]).json()["attachment"]
    path = f"/volumes/{volume['id']}/action"
    refused = api.post(path, {"os-reset_status": {"status": "available", "attach_status": "detached"}})
    assert refused.status_code == 400 and "os-force_detach" in refused.json()["badRequest"]["message"]
    assert api.post(path, {"os-force_detach": {"attachment_id": attachment["id"]}}).status_code == 202
    assert _show(api, volume["id"])["status"] == "available"
    assert db.volume_get(volume["id"]).provider_location is None


def test_extend_of_an_in_use_volume_from_3_42(api: Api) -> None:
    volume = _volume(api)
    attachment = _attach(api, volume["id"]).json()["attachment"]
    api.post(f"/attachments/{attachment['id']}/action", {"os-complete": {}})
    old = api.as_(api.token, "3.41").post(f"/volumes/{volume['id']}/action", {"os-extend": {"new_size": 2}})
    assert old.status_code == 400
    assert api.post(f"/volumes/{volume['id']}/action", {"os-extend": {"new_size": 2}}).status_code == 202
    wait_for(lambda: _show(api, volume["id"])["size"] == 2, what="extended")
    shown = _show(api, volume["id"])
    assert (shown["status"], db.volume_get(volume["id"]).attach_status) == ("in-use", "attached")
    assert datapath.size(datapath.target_of(attachment["connection_info"])) == 2 * 1024 ** 3


@pytest.mark.parametrize("body", [
    {"attachment": {}},
    {"attachment": {"volume_uuid": "x" * 37}},
    {"attachment": {"volume_uuid": "v", "connector": "iqn"}},
    {"attachment": {"volume_uuid": "v", "connector": {"initiator": 5}}},
    {"attachment": {"volume_uuid": "v", "mode": "rx"}},
    {"attachment": {"volume_uuid": "v", "surprise": 1}},
])
def test_bad_attachment_bodies_are_400_and_change_nothing(api: Api, body: Any) -> None:
    response = api.post("/attachments", body)
    assert response.status_code == 400, response.text
    assert api.get("/attachments").json()["attachments"] == []


def test_a_connect_failing_on_the_storage_tells_the_project_no_path_or_host(
        stack: object, conf: cfg.ConfigOpts, overrides: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    overrides("noauth_admin_projects", ["admin"])
    with TestClient(create_app(conf)) as client:
        tenant, admin = Api(client, "alice:proj-a", V), Api(client, "admin:admin", V)
        volume = _volume(tenant)
        share = tmp_path / "share"
        (share / f"volume-{volume['id']}").unlink()  # the storage has lost the volume's file
        failed = _attach(tenant, volume["id"])
        assert failed.status_code == 500
        told = failed.json()["computeFault"]["message"]
        assert "failed on the storage" in told and failed.headers["x-openstack-request-id"] in told
        assert str(share) not in failed.text and "unit@file-1" not in failed.text
        (message,) = tenant.get("/messages").json()["messages"]
        assert message["user_message"] == ("update attachment: A volume or snapshot the operation reads is "
                                           "missing on the backend.")
        assert message["resource_uuid"] == volume["id"] and str(share) not in message["user_message"]
        assert str(share) in caplog.text  # the driver's own words, in the volume service's log

        assert tenant.get("/attachments", params={"volume_id": volume["id"]}).json()["attachments"] == []
        reserved = _attach(admin, volume["id"], None).json()["attachment"]
        shown = admin.put(f"/attachments/{reserved['id']}", {"attachment": {"connector": CONNECTOR}})
        assert shown.status_code == 500
        assert str(share) in shown.text and "unit@file-1" in shown.text  # an admin reads what failed where


def _attachment_of(api: Api, volume_id: str) -> dict[str, Any]:
    (attachment,) = api.get(f"/attachments/detail?volume_id={volume_id}").json()["attachments"]
    return dict(attachment)


def test_a_terminated_connection_stays_terminated_until_os_detach_ends_the_attachment(api: Api) -> None:
    volume = _volume(api)
    path = f"/volumes/{volume['id']}/action"
    assert api.post(path, {"os-initialize_connection": {"connector": CONNECTOR}}).status_code == 200
    assert api.post(path, {"os-attach": {"instance_uuid": SERVER, "mountpoint": "/dev/vdb"}}).status_code == 202
    assert _attachment_of(api, volume["id"])["connection_info"] is not None

    assert api.post(path, {"os-terminate_connection": {"connector": CONNECTOR}}).status_code == 202
    attachment = _attachment_of(api, volume["id"])
    # recorded on the attachment: the export pass gives back only the access attachments still hold
    assert (attachment["status"], attachment["connection_info"]) == ("attached", None)
    assert _show(api, volume["id"])["status"] == "in-use"
    assert db.volume_get(volume["id"]).provider_location is not None  # the export goes with os-detach

    assert api.post(path, {"os-detach": {"attachment_id": attachment["id"]}}).status_code == 202
    shown = _show(api, volume["id"])
    assert (shown["status"], shown["attachments"]) == ("available", [])
    assert db.volume_get(volume["id"]).provider_location is None


def test_initialize_connection_after_terminate_connects_the_same_attachment_again(api: Api) -> None:
    volume = _volume(api)
    path = f"/volumes/{volume['id']}/action"
    first = api.post(path, {"os-initialize_connection": {"connector": CONNECTOR}}).json()["connection_info"]
    assert api.post(path, {"os-terminate_connection": {"connector": CONNECTOR}}).status_code == 202
    assert _attachment_of(api, volume["id"])["connection_info"] is None
    again = api.post(path, {"os-initialize_connection": {"connector": CONNECTOR}})
    assert again.status_code == 200, again.text
    assert again.json()["connection_info"]["data"] == first["data"]
    attachment = _attachment_of(api, volume["id"])
    assert attachment["status"] == "attaching" and attachment["connection_info"] is not None
    assert api.delete(f"/attachments/{attachment['id']}").status_code == 200
    assert db.volume_get(volume["id"]).provider_location is None


def _untouched_for(attachment_id: str, seconds: float) -> None:
    """As if the attachment had not changed for ``seconds``."""
    attachments = models.table_of(models.Attachment)
    with db_session.writer() as conn:
        conn.execute(sa.update(attachments).where(attachments.c.id == attachment_id)
                     .values(updated_at=utcnow() - timedelta(seconds=seconds)))


def test_workers_cleanup_lists_unfinished_attachments_and_detaches_them_only_when_asked(api: Api) -> None:
    unfinished_on = _volume(api)
    unfinished = _attach(api, unfinished_on["id"]).json()["attachment"]
    reserved_on = _volume(api)
    reserved = _attach(api, reserved_on["id"], None).json()["attachment"]
    completed_on = _volume(api)
    completed = _attach(api, completed_on["id"]).json()["attachment"]
    api.post(f"/attachments/{completed['id']}/action", {"os-complete": {}})
    for attachment in (unfinished, reserved, completed):
        _untouched_for(attachment["id"], 2 * 3600)

    listed = api.post("/workers/cleanup", {}).json()["unfinished_attachments"]
    assert [(a["id"], a["volume_id"], a["status"], a["attached_host"]) for a in listed] == [
        (unfinished["id"], unfinished_on["id"], "attaching", "compute-1")]
    assert _show(api, unfinished_on["id"])["status"] == "attaching"  # listing changes nothing
    narrowed = api.post("/workers/cleanup", {"resource_id": reserved_on["id"],
                                             "detach_unfinished_attachments": True})
    assert narrowed.json()["unfinished_attachments"] == []

    detached = api.post("/workers/cleanup", {"detach_unfinished_attachments": True}).json()
    assert [(a["id"], a["status"]) for a in detached["unfinished_attachments"]] == [(unfinished["id"], "detaching")]
    wait_for(lambda: _show(api, unfinished_on["id"])["status"] == "available", what="the detach")
    assert db.volume_get(unfinished_on["id"]).provider_location is None
    assert _show(api, reserved_on["id"])["status"] == "reserved"
    assert _show(api, completed_on["id"])["status"] == "in-use"
