"""python-cinderclient's own CLI, in noauth mode, drives the whole volume life cycle."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.stack import EmbeddedStack

pytestmark = pytest.mark.clients

CINDER = str(Path(sys.executable).parent / "cinder")


def cinder(stack: EmbeddedStack, *args: str, version: str | None = None, check: bool = True) -> str:
    argv = [CINDER, "--os-auth-type", "noauth", "--os-endpoint", stack.endpoint, "--os-user-id", "demo",
            "--os-project-id", "demo"]
    if version:
        argv += ["--os-volume-api-version", version]
    result = subprocess.run([*argv, *args], capture_output=True, text=True, timeout=60, check=False)
    if check:
        assert result.returncode == 0, f"cinder {' '.join(args)}: {result.stdout}{result.stderr}"
    return result.stdout + result.stderr


def field(table: str, name: str) -> str:
    match = re.search(rf"^\|\s*{re.escape(name)}\s*\|\s*(.*?)\s*\|$", table, re.MULTILINE)
    assert match, f"no {name} in:\n{table}"
    return match.group(1)


def wait_status(stack: EmbeddedStack, kind: str, resource_id: str, status: str, timeout_s: float = 60) -> str:
    deadline = time.monotonic() + timeout_s
    current = ""
    while time.monotonic() < deadline:
        current = field(cinder(stack, f"{kind}show" if kind else "show", resource_id), "status")
        if current == status:
            return current
        assert not current.startswith("error"), current
        time.sleep(0.3)
    raise AssertionError(f"{resource_id} stayed {current}")


def wait_gone(stack: EmbeddedStack, command: str, resource_id: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        out = cinder(stack, command, resource_id, check=False)
        if re.search(r"No \w+ with a name or ID|could not be found", out):
            return
        time.sleep(0.3)
    raise AssertionError(f"{resource_id} was not deleted")


@pytest.mark.parametrize("version", [None, "3.71"])
def test_cinderclient_life_cycle(ember: EmbeddedStack, version: str | None) -> None:
    volume_id = field(cinder(ember, "create", "--name", f"cc-{version}", "1", version=version), "id")
    wait_status(ember, "", volume_id, "available")
    share = ember.workdir / "share"
    (share / f"volume-{volume_id}").open("r+b").write(b"cinderclient" * 40)

    cinder(ember, "extend", volume_id, "2", version=version)
    deadline = time.monotonic() + 30
    while field(cinder(ember, "show", volume_id), "size") != "2":
        assert time.monotonic() < deadline
        time.sleep(0.3)

    snapshot_id = field(cinder(ember, "snapshot-create", "--name", "snap", volume_id, version=version), "id")
    wait_status(ember, "snapshot-", snapshot_id, "available")
    from_snapshot = field(cinder(ember, "create", "--snapshot-id", snapshot_id, "2", version=version), "id")
    clone = field(cinder(ember, "create", "--source-volid", volume_id, "3", version=version), "id")
    for copy_id in (from_snapshot, clone):
        wait_status(ember, "", copy_id, "available")
        assert (share / f"volume-{copy_id}").read_bytes()[:480] == b"cinderclient" * 40

    listing = cinder(ember, "list", version=version)
    for vid in (volume_id, from_snapshot, clone):
        assert vid in listing
    assert snapshot_id in cinder(ember, "snapshot-list", version=version)

    refused = cinder(ember, "delete", volume_id, check=False)
    assert "snapshot" in refused.lower()
    cinder(ember, "snapshot-delete", snapshot_id, version=version)
    wait_gone(ember, "snapshot-show", snapshot_id)
    cinder(ember, "delete", volume_id, from_snapshot, clone, version=version)
    for vid in (volume_id, from_snapshot, clone):
        wait_gone(ember, "show", vid)
        assert not (share / f"volume-{vid}").exists()


def test_cinderclient_shows_cinder_format_errors(ember: EmbeddedStack) -> None:
    out = cinder(ember, "show", "00000000-0000-0000-0000-000000000000", check=False)
    assert "No volume with a name or ID" in out or "could not be found" in out
    out = cinder(ember, "create", "0", check=False)
    assert "ERROR" in out
    out = cinder(ember, "type-create", "gold", check=False)
    assert "gold" in out
    assert "gold" in cinder(ember, "type-list")
    assert json.loads(json.dumps(cinder(ember, "type-delete", "gold", check=False))) is not None


def test_cinderclient_attachment_create_complete_delete(ember: EmbeddedStack) -> None:
    volume_id = field(cinder(ember, "create", "--name", "attach-me", "1"), "id")
    wait_status(ember, "", volume_id, "available")
    server = "0b8d3c52-77a1-4c1e-9f3a-5a6b7c8d9e0f"
    created = cinder(ember, "attachment-create", volume_id, server, "--connect", "True", "--initiator",
                     "iqn.1993-08.org.debian:01:cinderclient", "--host", "compute-c", "--mountpoint", "/dev/vdb",
                     version="3.54")
    attachment_id = field(created, "id")
    assert field(created, "status") == "attaching" and field(created, "driver_volume_type") == "local"
    cinder(ember, "attachment-complete", attachment_id, version="3.44")
    assert field(cinder(ember, "show", volume_id), "status") == "in-use"
    listed = cinder(ember, "attachment-list", "--volume-id", volume_id, version="3.44")
    assert attachment_id in listed and "attached" in listed
    refused = cinder(ember, "delete", volume_id, check=False)
    assert "attachment" in refused
    cinder(ember, "attachment-delete", attachment_id, version="3.44")
    assert field(cinder(ember, "show", volume_id), "status") == "available"
    reserved = cinder(ember, "attachment-create", volume_id, server, version="3.44")
    assert field(reserved, "status") == "reserved"
    cinder(ember, "attachment-delete", field(reserved, "id"), version="3.44")
    cinder(ember, "delete", volume_id)
    wait_gone(ember, "show", volume_id)
