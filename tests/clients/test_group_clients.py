"""python-cinderclient, openstacksdk, the openstack CLI and the ember CLI drive group types, group specs,
groups, group snapshots and groups made from them against a running ember-all (file driver); the volumes
of a group made from a group snapshot hold the data the snapshot took."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from bench.stack import EmbeddedStack
from tests.clients.test_cinderclient import cinder, field, wait_gone, wait_status
from tests.clients.test_openstacksdk import _token_connection

pytestmark = pytest.mark.clients

BIN = Path(sys.executable).parent
V = "3.20"


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def _wait(check: Any, what: str, timeout_s: float = 60) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def _volume_file(stack: EmbeddedStack, volume_id: str) -> Path:
    return stack.workdir / "share" / f"volume-{volume_id}"


def test_cinderclient_groups_from_types_to_snapshots_and_copies(ember: EmbeddedStack) -> None:
    vtype = _name("vt")
    cinder(ember, "type-create", vtype)
    gtype = _name("gt")
    out = cinder(ember, "group-type-create", gtype, version=V)
    assert gtype in out
    cinder(ember, "group-type-key", gtype, "set", "consistent_group_snapshot_enabled=<is> True", version=V)
    specs = cinder(ember, "group-specs-list", version=V)
    assert "consistent_group_snapshot_enabled" in specs and gtype in specs
    assert gtype in cinder(ember, "group-type-list", version=V)

    group_id = field(cinder(ember, "group-create", "--name", _name("g"), gtype, vtype, version=V), "id")
    wait_status(ember, "group-", group_id, "available")
    volumes = []
    for i in range(2):
        made = cinder(ember, "create", "--volume-type", vtype, "--group-id", group_id, "--name", f"m{i}", "1",
                      version=V)
        volumes.append(field(made, "id"))
    for volume_id in volumes:
        wait_status(ember, "", volume_id, "available")
        _volume_file(ember, volume_id).open("r+b").write(volume_id.encode() * 10)
    loose = field(cinder(ember, "create", "--volume-type", vtype, "1"), "id")
    wait_status(ember, "", loose, "available")
    cinder(ember, "group-update", group_id, "--add-volumes", loose, version=V)
    shown = cinder(ember, "group-show", group_id, version="3.25")
    assert field(shown, "status") == "available"
    assert field(cinder(ember, "show", loose, version=V), "group_id") == group_id
    cinder(ember, "group-update", group_id, "--remove-volumes", loose, version=V)
    assert field(cinder(ember, "show", loose, version=V), "group_id") == "None"

    snapshot_id = field(cinder(ember, "group-snapshot-create", "--name", "gs", group_id, version=V), "id")
    wait_status(ember, "group-snapshot-", snapshot_id, "available")
    assert snapshot_id in cinder(ember, "group-snapshot-list", version=V)
    for volume_id in volumes:  # written after the group snapshot: the copies must not see it
        _volume_file(ember, volume_id).open("r+b").write(b"later" * 100)

    copy_id = field(cinder(ember, "group-create-from-src", "--group-snapshot", snapshot_id, "--name", "copy",
                           version=V), "id")
    wait_status(ember, "group-", copy_id, "available")
    copies = _wait(lambda: _group_volumes(ember, copy_id, 2), "two available copies")
    originals = {v.encode() * 10 for v in volumes}
    assert {_volume_file(ember, c).read_bytes()[:360] for c in copies} == originals

    refused = cinder(ember, "group-delete", group_id, check=False, version=V)
    assert "existing snapshots" in refused or "still contains volumes" in refused
    cinder(ember, "group-snapshot-delete", snapshot_id, version=V)
    wait_gone(ember, "group-snapshot-show", snapshot_id)
    cinder(ember, "group-delete", "--delete-volumes", group_id, copy_id, version=V)
    for volume_id in [*volumes, *copies]:
        wait_gone(ember, "show", volume_id)
    cinder(ember, "delete", loose)
    cinder(ember, "group-type-delete", gtype, version=V)


def _group_volumes(stack: EmbeddedStack, group_id: str, count: int) -> list[str] | None:
    storage: Any = _token_connection(stack.endpoint).block_storage
    listed = storage.get(f"/groups/{group_id}?list_volume=True",
                                    microversion="3.25").json()["group"].get("volumes", [])
    statuses = [storage.get_volume(v).status for v in listed]
    return listed if len(listed) == count and set(statuses) == {"available"} else None


def test_openstacksdk_group_types_groups_and_group_snapshots(ember: EmbeddedStack) -> None:
    storage: Any = _token_connection(ember.endpoint).block_storage  # the v3 proxy
    vtype = storage.create_type(name=_name("sdk-vt"))
    gtype = storage.create_group_type(name=_name("sdk-gt"), group_specs={"k": "v"})
    assert storage.fetch_group_type_group_specs(gtype).group_specs == {"k": "v"}
    group = storage.create_group(name=_name("sdk-g"), group_type=gtype.id, volume_types=[vtype.id])
    group = storage.wait_for_status(group, status="available", failures=["error"], wait=60, interval=0.2)
    assert group.id in [g.id for g in storage.groups()]
    snapshot = storage.create_group_snapshot(name="sdk-gs", group_id=group.id)
    snapshot = storage.wait_for_status(snapshot, status="available", failures=["error"], wait=60,
                                                  interval=0.2)
    assert snapshot.group_id == group.id
    storage.delete_group_snapshot(snapshot)
    storage.wait_for_delete(snapshot, wait=60, interval=0.2)
    storage.delete_group(group, delete_volumes=True)
    storage.wait_for_delete(group, wait=60, interval=0.2)
    storage.delete_group_type(gtype)
    storage.delete_type(vtype)


def _openstack(stack: EmbeddedStack, *args: str) -> Any:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    env["OS_CLIENT_CONFIG_FILE"] = "/dev/null"
    argv = [str(BIN / "openstack"), "--os-auth-type", "admin_token", "--os-token", "demo:demo",
            "--os-endpoint", stack.endpoint, "--os-volume-api-version", V, *args]
    done = subprocess.run([*argv, "-f", "json"] if args[-1] != "--no-format" else argv[:-1], env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, f"openstack {' '.join(args)}: {done.stdout}{done.stderr}"
    return json.loads(done.stdout) if done.stdout.strip() else None


def test_openstack_cli_group_type_group_and_group_snapshot(ember: EmbeddedStack) -> None:
    vtype = _name("osc-vt")
    cinder(ember, "type-create", vtype)
    gtype = _name("osc-gt")
    made = _openstack(ember, "volume", "group", "type", "create", gtype)
    assert made["Name"] == gtype, made
    assert gtype in [t["Name"] for t in _openstack(ember, "volume", "group", "type", "list")]
    group = _openstack(ember, "volume", "group", "create", "--volume-group-type", gtype, "--volume-type", vtype,
                       "--name", _name("osc-g"))
    _wait(lambda: _openstack(ember, "volume", "group", "show", group["ID"])["Status"] == "available", "group")
    snapshot = _openstack(ember, "volume", "group", "snapshot", "create", "--name", "osc-gs", group["ID"])
    _wait(lambda: _openstack(ember, "volume", "group", "snapshot", "show", snapshot["ID"])["Status"] == "available",
          "group snapshot")
    assert snapshot["ID"] in [s["ID"] for s in _openstack(ember, "volume", "group", "snapshot", "list")]
    _openstack(ember, "volume", "group", "snapshot", "delete", snapshot["ID"], "--no-format")
    _wait(lambda: snapshot["ID"] not in [s["ID"] for s in _openstack(ember, "volume", "group", "snapshot", "list")],
          "group snapshot gone")
    _openstack(ember, "volume", "group", "delete", group["ID"], "--no-format")
    _openstack(ember, "volume", "group", "type", "delete", gtype, "--no-format")


def _ember(stack: EmbeddedStack, *args: str) -> Any:
    env = {**os.environ, "EMBER_ENDPOINT": stack.endpoint, "OS_PROJECT_ID": "demo", "OS_USER_ID": "demo"}
    done = subprocess.run([str(BIN / "ember"), *args, "--json"], env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, f"ember {' '.join(args)}: {done.stdout}{done.stderr}"
    return json.loads(done.stdout) if done.stdout.strip().startswith(("{", "[")) else done.stdout


def test_ember_cli_group_life_cycle(ember: EmbeddedStack) -> None:
    vtype = _name("cli-vt")
    cinder(ember, "type-create", vtype)
    gtype = _name("cli-gt")
    _ember(ember, "group-type", "create", gtype, "--property", "k=v")
    group = _ember(ember, "group", "create", "--group-type", gtype, "--volume-type", vtype, "--name", "cli-g",
                   "--wait")
    volume_id = field(cinder(ember, "create", "--volume-type", vtype, "--group-id", group["id"], "1", version=V),
                      "id")
    wait_status(ember, "", volume_id, "available")
    assert _ember(ember, "group", "show", group["id"])["volumes"] == [volume_id]
    snapshot = _ember(ember, "group-snapshot", "create", group["id"], "--name", "cli-gs", "--wait")
    assert snapshot["status"] == "available"
    copy = _ember(ember, "group", "create", "--group-snapshot", snapshot["id"], "--name", "cli-copy", "--wait")
    assert len(copy["volumes"]) == 1
    _ember(ember, "group-snapshot", "delete", snapshot["id"], "--wait")
    for made in (group, copy):
        _ember(ember, "group", "delete", made["id"], "--delete-volumes", "--wait")
    assert _ember(ember, "group", "list") == []
    _ember(ember, "group-type", "delete", gtype)
