"""Answers where ember must say what Cinder 29 says, each shown through the client that shows it:
python-cinderclient (its CLI, and its Python API for the legacy actions the CLI lacks), openstacksdk,
and raw HTTP for headers."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from cinderclient import client as cinder_client
from keystoneauth1 import session, token_endpoint

from bench.stack import EmbeddedStack
from tests.clients.test_cinderclient import cinder, field, wait_gone, wait_status
from tests.clients.test_openstacksdk import _token_connection

pytestmark = pytest.mark.clients

SERVER = "6f0b7c1e-2d3a-4b5c-8d9e-0a1b2c3d4e5f"
CONNECT = ("--connect", "True", "--initiator", "iqn.1993-08.org.debian:01:parity", "--host", "compute-p")


def _volume(stack: EmbeddedStack, name: str) -> str:
    volume_id = field(cinder(stack, "create", "--name", name, "1"), "id")
    wait_status(stack, "", volume_id, "available")
    return volume_id


def _attached_to(stack: EmbeddedStack, volume_id: str) -> str:
    """The "Attached to" cell of ``cinder list`` for the volume."""
    (row,) = [line for line in cinder(stack, "list").splitlines() if volume_id in line]
    return row.strip("|").split("|")[-1].strip()


def _cinder_api(stack: EmbeddedStack, version: str = "3.0") -> Any:
    token = "demo:demo"
    sess = session.Session(auth=token_endpoint.Token(stack.endpoint, token))
    return cinder_client.Client(version, session=sess)


def _delete(stack: EmbeddedStack, volume_id: str, *attachment_ids: str) -> None:
    for attachment_id in attachment_ids:
        cinder(stack, "attachment-delete", attachment_id, version="3.44")
    cinder(stack, "delete", volume_id)
    wait_gone(stack, "show", volume_id)


def test_reset_state_to_an_unknown_status_names_the_statuses_as_cinder_does(ember: EmbeddedStack) -> None:
    volume_id = _volume(ember, "parity-reset")
    out = cinder(ember, "reset-state", "--state", "bogus", volume_id, check=False)
    assert "Invalid input for field/attribute status. Value: bogus. 'bogus' is not one of [" in out, out
    assert "'available'" in out and "<Status" not in out
    assert field(cinder(ember, "show", volume_id), "status") == "available"
    _delete(ember, volume_id)


def test_legacy_reserve_shows_attaching_and_unreserve_available(ember: EmbeddedStack) -> None:
    volume_id = _volume(ember, "parity-reserve")
    api = _cinder_api(ember)
    api.volumes.reserve(volume_id)
    shown = cinder(ember, "show", volume_id)
    assert (field(shown, "status"), field(shown, "attached_servers")) == ("attaching", "[]")
    api.volumes.unreserve(volume_id)
    assert field(cinder(ember, "show", volume_id), "status") == "available"
    reserved = cinder(ember, "attachment-create", volume_id, SERVER, version="3.44")  # v3: reserved, as Cinder
    assert field(cinder(ember, "show", volume_id), "status") == "reserved"
    _delete(ember, volume_id, field(reserved, "id"))


def test_cinder_list_shows_a_server_once_it_is_attached(ember: EmbeddedStack) -> None:
    volume_id = _volume(ember, "parity-list")
    reserved = field(cinder(ember, "attachment-create", volume_id, SERVER, version="3.44"), "id")
    assert _attached_to(ember, volume_id) == ""
    cinder(ember, "attachment-delete", reserved, version="3.44")
    connected = field(cinder(ember, "attachment-create", volume_id, SERVER, *CONNECT, version="3.54"), "id")
    assert _attached_to(ember, volume_id) == ""  # connected, not yet attached
    cinder(ember, "attachment-complete", connected, version="3.44")
    assert _attached_to(ember, volume_id) == SERVER
    _delete(ember, volume_id, connected)


def test_an_in_use_volume_needs_force_and_a_point_in_time_snapshot(ember: EmbeddedStack) -> None:
    volume_id = _volume(ember, "parity-snap")
    attachment_id = field(cinder(ember, "attachment-create", volume_id, SERVER, *CONNECT, version="3.54"), "id")
    cinder(ember, "attachment-complete", attachment_id, version="3.44")
    refused = cinder(ember, "snapshot-create", volume_id, version="3.0", check=False)
    assert "ERROR" in refused and "force=true" in refused, refused
    # forced (or from 3.66, where force is implied) it is Cinder's answer on storage that snapshots at one
    # point in time; this file share (no reflink) would copy while the host writes, so it says so
    for args in (("--force", "True"), ()):
        out = cinder(ember, "snapshot-create", *args, volume_id, version="3.0" if args else None, check=False)
        assert "ERROR" in out and "cannot take a consistent snapshot while the volume is attached" in out, out
    assert "parity-snap" not in cinder(ember, "snapshot-list")
    assert field(cinder(ember, "show", volume_id), "status") == "in-use"
    _delete(ember, volume_id, attachment_id)


def test_metadata_set_past_the_limit_is_refused_and_changes_nothing(ember: EmbeddedStack) -> None:
    volume_id = _volume(ember, "parity-meta")
    out = cinder(ember, "metadata", volume_id, "set", *(f"k{i}=v" for i in range(65)), check=False)
    assert "at most 64 metadata items" in out and "HTTP 400" in out, out
    assert "k0" not in cinder(ember, "metadata-show", volume_id)
    cinder(ember, "metadata", volume_id, "set", *(f"k{i}=v" for i in range(64)))
    assert "k63" in cinder(ember, "metadata-show", volume_id)
    _delete(ember, volume_id)


def test_openstacksdk_gets_cinders_connection_options(ember: EmbeddedStack) -> None:
    storage: Any = _token_connection(ember.endpoint).block_storage
    volume = storage.wait_for_status(storage.create_volume(size=1, name="sdk-options"), status="available",
                                     failures=["error"], wait=60, interval=0.2)
    connector = {"initiator": "iqn.1993-08.org.debian:01:sdk-options", "host": "compute-o", "ip": "192.0.2.40",
                 "platform": "x86_64", "os_type": "linux", "multipath": False, "enforce_multipath": True}
    attachment = storage.create_attachment(volume.id, connector=connector, instance=SERVER)
    info = attachment.connection_info
    assert {key: info[key] for key in ("qos_specs", "access_mode", "encrypted", "cacheable", "enforce_multipath")} \
        == {"qos_specs": None, "access_mode": "rw", "encrypted": False, "cacheable": False, "enforce_multipath": True}
    assert info["driver_volume_type"] == "local" and info["device_path"].endswith(volume.id)  # flat, as Cinder's
    assert info["attachment_id"] == attachment.id
    storage.delete_attachment(attachment.id)
    storage.delete_volume(volume)
    storage.wait_for_delete(volume, wait=60, interval=0.2)


def test_an_unsupported_microversion_is_a_406_compute_fault(ember: EmbeddedStack) -> None:
    storage: Any = _token_connection(ember.endpoint).block_storage
    response = storage.get("/volumes", headers={"OpenStack-API-Version": "volume 3.99"}, raise_exc=False)
    assert response.status_code == 406
    assert list(response.json()) == ["computeFault"] and "3.71" in response.json()["computeFault"]["message"]


def test_a_405_names_every_method_and_forwarded_headers_are_ignored_by_default(ember: EmbeddedStack) -> None:
    headers = {"X-Auth-Token": "demo:demo"}
    created = httpx.post(f"{ember.endpoint}/volumes", json={"volume": {"size": 1}}, headers=headers)
    volume_id = created.json()["volume"]["id"]
    wrong = httpx.patch(f"{ember.endpoint}/volumes/{volume_id}", headers=headers)
    assert wrong.status_code == 405 and list(wrong.json()) == ["badMethod"]
    assert {m.strip() for m in wrong.headers["allow"].split(",")} == {"GET", "HEAD", "PUT", "DELETE"}
    spoofed = httpx.get(f"{ember.endpoint}/volumes/{volume_id}",
                        headers={**headers, "X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"})
    links = [urlsplit(link["href"])[:2] for link in spoofed.json()["volume"]["links"]]
    assert links == [("http", f"127.0.0.1:{ember.port}")] * 2  # neither the api nor uvicorn took them
    deadline = time.monotonic() + 60
    while httpx.delete(f"{ember.endpoint}/volumes/{volume_id}", headers=headers).status_code != 202:
        assert time.monotonic() < deadline
        time.sleep(0.3)
