"""Manage and unmanage driven by python-cinderclient (manage, unmanage, manageable-list, snapshot-manage,
snapshot-unmanage, snapshot-manageable-list), the openstack CLI (volume create --remote-source, volume
delete --remote, block storage volume manageable list) and openstacksdk against a running ember on the file
driver: the data written before an unmanage is the managed volume's."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import openstack
import pytest

from bench.stack import EmbeddedStack
from tests.clients.test_cinderclient import cinder, field, wait_gone, wait_status

pytestmark = pytest.mark.clients
OPENSTACK = str(Path(sys.executable).parent / "openstack")
V = "3.8"


def _available_volume(stack: EmbeddedStack, name: str) -> tuple[str, str]:
    volume_id = field(cinder(stack, "create", "--name", name, "1"), "id")
    wait_status(stack, "", volume_id, "available")
    return volume_id, field(cinder(stack, "show", volume_id), "os-vol-host-attr:host")


def _write(stack: EmbeddedStack, volume_id: str, data: bytes) -> None:
    with (stack.workdir / "share" / f"volume-{volume_id}").open("r+b") as f:
        f.write(data)


def _read(stack: EmbeddedStack, volume_id: str, size: int) -> bytes:
    return (stack.workdir / "share" / f"volume-{volume_id}").read_bytes()[:size]


def test_cinderclient_unmanage_list_manage(ember: EmbeddedStack) -> None:
    volume_id, host = _available_volume(ember, "to-unmanage")
    _write(ember, volume_id, b"survives unmanage" * 10)
    cinder(ember, "unmanage", volume_id)
    wait_gone(ember, "show", volume_id)
    listed = cinder(ember, "manageable-list", "--detailed", "True", host, version=V)
    row = next(line for line in listed.splitlines() if f"volume-{volume_id}" in line)
    assert "True" in row  # safe to manage: no volume of ember holds it any more

    managed = cinder(ember, "manage", "--name", "managed", "--metadata", "origin=unmanaged", host,
                     f"volume-{volume_id}", version=V)
    new_id = field(managed, "id")
    wait_status(ember, "", new_id, "available")
    shown = cinder(ember, "show", new_id)
    assert field(shown, "name") == "managed" and field(shown, "size") == "1"
    assert field(shown, "os-vol-host-attr:host") == host
    assert _read(ember, new_id, 170) == b"survives unmanage" * 10
    listed = cinder(ember, "manageable-list", "--detailed", "True", host, version=V)
    row = next(line for line in listed.splitlines() if f"volume-{new_id}" in line)
    assert "False" in row and new_id in row  # ember's now: not safe, and its id shown

    refused = cinder(ember, "manage", host, "no-such-file", version=V, check=False)
    assert "invalid backend reference" in refused


def test_cinderclient_snapshot_unmanage_list_manage(ember: EmbeddedStack) -> None:
    volume_id, host = _available_volume(ember, "snap-source")
    snapshot_id = field(cinder(ember, "snapshot-create", volume_id), "id")
    wait_status(ember, "snapshot-", snapshot_id, "available")
    cinder(ember, "snapshot-unmanage", snapshot_id)
    wait_gone(ember, "snapshot-show", snapshot_id)
    listed = cinder(ember, "snapshot-manageable-list", host, version=V)
    assert f"snapshot-{snapshot_id}.raw" in listed
    managed = cinder(ember, "snapshot-manage", "--name", "back", volume_id, f"snapshot-{snapshot_id}.raw",
                     version=V)
    new_id = field(managed, "id")
    wait_status(ember, "snapshot-", new_id, "available")
    assert field(cinder(ember, "snapshot-show", new_id), "volume_id") == volume_id
    assert (ember.workdir / "share" / f"snapshot-{new_id}.raw").exists()


def _openstack(stack: EmbeddedStack, *args: str) -> Any:
    argv = [OPENSTACK, "--os-auth-type", "none", "--os-endpoint", stack.endpoint, "--os-volume-api-version", V,
            *args, "-f", "json"]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, f"openstack {' '.join(args)}: {result.stdout}{result.stderr}"
    return json.loads(result.stdout) if result.stdout.strip() else None


def test_openstack_cli_remote_source_and_remote_delete(ember: EmbeddedStack) -> None:
    volume_id, host = _available_volume(ember, "osc-source")
    _write(ember, volume_id, b"osc" * 100)
    subprocess.run([OPENSTACK, "--os-auth-type", "none", "--os-endpoint", ember.endpoint, "volume", "delete",
                    "--remote", volume_id], check=True, capture_output=True, timeout=60)
    wait_gone(ember, "show", volume_id)
    listed = _openstack(ember, "block", "storage", "volume", "manageable", "list", host)
    assert any(item["reference"] == {"source-name": f"volume-{volume_id}"} for item in listed)
    created = _openstack(ember, "volume", "create", "--remote-source", f"source-name=volume-{volume_id}",
                         "--host", host, "osc-managed")
    wait_status(ember, "", created["id"], "available")
    assert _read(ember, created["id"], 300) == b"osc" * 100


def test_openstacksdk_manage_unmanage(ember: EmbeddedStack) -> None:
    # the manageable lists are 3.8 on, and the sdk's resource for them names no microversion of its own
    conn: Any = openstack.connect(auth_type="none", block_storage_endpoint_override=ember.endpoint,
                                  block_storage_api_version="3", block_storage_default_microversion=V,
                                  load_yaml_config=False, load_envvars=False)
    storage = conn.block_storage
    volume = storage.create_volume(size=1, name="sdk-source")
    volume = storage.wait_for_status(volume, status="available", failures=["error"], wait=60, interval=0.2)
    host = storage.get_volume(volume.id).host
    _write(ember, volume.id, b"sdk" * 100)
    storage.unmanage_volume(volume)
    storage.wait_for_delete(volume, wait=60, interval=0.2)
    names = [m.reference["source-name"] for m in storage.manageable_volumes(details=True, host=host)]
    assert f"volume-{volume.id}" in names
    managed = storage.manage_volume(host=host, ref={"source-name": f"volume-{volume.id}"}, name="sdk-managed")
    deadline = time.monotonic() + 60
    while storage.get_volume(managed.id).status != "available":
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert _read(ember, managed.id, 300) == b"sdk" * 100
