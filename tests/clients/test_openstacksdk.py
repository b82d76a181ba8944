"""openstacksdk (block_storage proxy) against ember: auth_type none and a noauth token session."""

from __future__ import annotations

import time
from typing import Any

import openstack
import pytest
from keystoneauth1 import session, token_endpoint

from bench.stack import EmbeddedStack

pytestmark = pytest.mark.clients


def _token_connection(endpoint: str) -> openstack.connection.Connection:
    token = "demo:demo"
    sess = session.Session(auth=token_endpoint.Token(endpoint, token), additional_headers={"X-Auth-Token": token})
    return openstack.connection.Connection(session=sess, block_storage_endpoint_override=endpoint,
                                           block_storage_api_version="3")


def _wait_extended(conn: openstack.connection.Connection, volume_id: str, size_gb: int) -> Any:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        volume = conn.block_storage.get_volume(volume_id)
        if volume.status == "available" and volume.size == size_gb:
            return volume
        assert volume.status in ("available", "extending"), volume.status
        time.sleep(0.2)
    raise AssertionError(f"volume {volume_id} was not extended to {size_gb} GB")


def _life_cycle(conn: openstack.connection.Connection) -> None:
    volume = conn.block_storage.create_volume(size=1, name="sdk")
    volume = conn.block_storage.wait_for_status(volume, status="available", failures=["error"], wait=60,
                                                interval=0.2)
    assert volume.size == 1
    conn.block_storage.extend_volume(volume.id, 2)
    volume = _wait_extended(conn, volume.id, 2)
    snapshot = conn.block_storage.create_snapshot(volume_id=volume.id, name="sdk-snap")
    snapshot = conn.block_storage.wait_for_status(snapshot, status="available", failures=["error"], wait=60,
                                                  interval=0.2)
    assert volume.id in {v.id for v in conn.block_storage.volumes()}
    conn.block_storage.delete_snapshot(snapshot.id)
    conn.block_storage.wait_for_delete(snapshot, wait=60, interval=0.2)
    conn.block_storage.delete_volume(volume)
    conn.block_storage.wait_for_delete(volume, wait=60, interval=0.2)


def test_openstacksdk_with_a_noauth_token_session(ember: EmbeddedStack) -> None:
    _life_cycle(_token_connection(ember.endpoint))


def test_openstacksdk_with_auth_type_none(ember: EmbeddedStack) -> None:
    conn = openstack.connect(auth_type="none", block_storage_endpoint_override=ember.endpoint,
                             block_storage_api_version="3", load_yaml_config=False, load_envvars=False)
    _life_cycle(conn)


def test_openstacksdk_attachment_create_update_complete_delete(ember: EmbeddedStack) -> None:
    storage: Any = _token_connection(ember.endpoint).block_storage  # the v3 proxy: attachments are 3.27+
    volume = storage.create_volume(size=1, name="sdk-attach")
    volume = storage.wait_for_status(volume, status="available", failures=["error"], wait=60,
                                                interval=0.2)
    server = "4e1f0a9b-3c2d-4b5a-8e7f-6a5b4c3d2e1f"
    reserved = storage.create_attachment(volume.id, instance=server)
    assert reserved.status == "reserved" and not reserved.connection_info
    connector = {"initiator": "iqn.1993-08.org.debian:01:sdk", "host": "compute-s", "ip": "192.0.2.30",
                 "platform": "x86_64", "os_type": "linux", "multipath": False}
    updated = storage.update_attachment(reserved.id, connector=connector)
    assert updated.connection_info["driver_volume_type"] == "local"
    storage.complete_attachment(reserved.id)
    assert storage.get_volume(volume.id).status == "in-use"
    assert [a.id for a in storage.attachments(volume_id=volume.id)] == [reserved.id]
    storage.delete_attachment(reserved.id)
    assert storage.get_volume(volume.id).status == "available"
    storage.delete_volume(volume)
    storage.wait_for_delete(volume, wait=60, interval=0.2)
