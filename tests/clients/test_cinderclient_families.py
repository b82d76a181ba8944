"""python-cinderclient's CLI drives summary, snapshot metadata, readonly mode, revert, cascade delete and
volume transfers against a running ember."""

from __future__ import annotations

import subprocess

import pytest

from bench.stack import EmbeddedStack
from tests.clients.test_cinderclient import CINDER, cinder, field, wait_gone, wait_status

pytestmark = pytest.mark.clients


def _as(stack: EmbeddedStack, project: str, *args: str, version: str | None = None) -> str:
    argv = [CINDER, "--os-auth-type", "noauth", "--os-endpoint", stack.endpoint, "--os-user-id", project,
            "--os-project-id", project]
    if version:
        argv += ["--os-volume-api-version", version]
    result = subprocess.run([*argv, *args], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, f"cinder {' '.join(args)}: {result.stdout}{result.stderr}"
    return result.stdout


def _available_volume(stack: EmbeddedStack, name: str, size: str = "1") -> str:
    volume_id = field(cinder(stack, "create", "--name", name, size), "id")
    wait_status(stack, "", volume_id, "available")
    return volume_id


def _snapshot(stack: EmbeddedStack, volume_id: str) -> str:
    snapshot_id = field(cinder(stack, "snapshot-create", volume_id), "id")
    wait_status(stack, "snapshot-", snapshot_id, "available")
    return snapshot_id


def test_summary(ember: EmbeddedStack) -> None:
    _available_volume(ember, "summed", "2")
    summary = cinder(ember, "summary", version="3.12")
    assert int(field(summary, "total_count")) >= 1 and int(field(summary, "total_size")) >= 2


def test_snapshot_metadata_and_readonly_mode(ember: EmbeddedStack) -> None:
    volume_id = _available_volume(ember, "meta")
    snapshot_id = _snapshot(ember, volume_id)
    cinder(ember, "snapshot-metadata", snapshot_id, "set", "purpose=nightly", "keep=7")
    shown = cinder(ember, "snapshot-metadata-show", snapshot_id)
    assert field(shown, "purpose") == "nightly" and field(shown, "keep") == "7"
    cinder(ember, "snapshot-metadata", snapshot_id, "unset", "keep")
    assert "keep" not in cinder(ember, "snapshot-metadata-show", snapshot_id)
    cinder(ember, "snapshot-metadata-update-all", snapshot_id, "only=this")
    assert field(cinder(ember, "snapshot-metadata-show", snapshot_id), "only") == "this"

    cinder(ember, "readonly-mode-update", volume_id, "True")
    assert "readonly : True" in field(cinder(ember, "show", volume_id), "metadata")
    cinder(ember, "readonly-mode-update", volume_id, "False")
    assert "readonly : False" in field(cinder(ember, "show", volume_id), "metadata")


def test_revert_to_snapshot_brings_back_the_data(ember: EmbeddedStack) -> None:
    volume_id = _available_volume(ember, "revert-me")
    path = ember.workdir / "share" / f"volume-{volume_id}"
    with path.open("r+b") as f:
        f.write(b"first" * 100)
    snapshot_id = _snapshot(ember, volume_id)
    with path.open("r+b") as f:
        f.write(b"later" * 200)
    cinder(ember, "revert-to-snapshot", snapshot_id, version="3.40")
    wait_status(ember, "", volume_id, "available")
    assert path.read_bytes()[:1000] == b"first" * 100 + bytes(500)


def test_cascade_delete_removes_the_snapshots(ember: EmbeddedStack) -> None:
    volume_id = _available_volume(ember, "cascade")
    snapshots = [_snapshot(ember, volume_id) for _ in range(2)]
    cinder(ember, "delete", "--cascade", volume_id)
    wait_gone(ember, "show", volume_id)
    for snapshot_id in snapshots:
        wait_gone(ember, "snapshot-show", snapshot_id)
    share = ember.workdir / "share"
    assert not [p for p in share.iterdir() if volume_id in p.name or any(s in p.name for s in snapshots)]


@pytest.mark.parametrize("version", [None, "3.57"])
def test_transfer_create_list_accept_delete(ember: EmbeddedStack, version: str | None) -> None:
    volume_id = _available_volume(ember, f"gift-{version}")
    created = cinder(ember, "transfer-create", "--name", "to-b", volume_id, version=version)
    transfer_id, auth_key = field(created, "id"), field(created, "auth_key")
    assert field(cinder(ember, "show", volume_id), "status") == "awaiting-transfer"
    assert transfer_id in cinder(ember, "transfer-list", version=version)
    assert field(cinder(ember, "transfer-show", transfer_id, version=version), "volume_id") == volume_id
    accepted = _as(ember, "other", "transfer-accept", transfer_id, auth_key, version=version)
    assert field(accepted, "volume_id") == volume_id
    moved = _as(ember, "other", "show", volume_id)
    assert field(moved, "status") == "available"

    second = _available_volume(ember, f"kept-{version}")
    withdrawn = field(cinder(ember, "transfer-create", second, version=version), "id")
    cinder(ember, "transfer-delete", withdrawn, version=version)
    assert field(cinder(ember, "show", second), "status") == "available"
    assert withdrawn not in cinder(ember, "transfer-list", version=version)
