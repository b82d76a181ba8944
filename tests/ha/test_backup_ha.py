"""Two ember-backup services, one killed -9 mid-backup and mid-restore: the other finishes the work.

Each case ends with the backup available (redone by the survivor) or error, the volume back in its
prior status (in-use for a forced backup of an attached volume), and no temporary snapshot left.
"""

from __future__ import annotations

import hashlib
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from bench.stack import SplitStack

pytestmark = pytest.mark.ha

TOKEN = {"X-Auth-Token": "demo:demo", "OpenStack-API-Version": "volume 3.64"}
MiB = 1024 * 1024
WRITTEN = 192 * MiB
# slow enough (zlib 9 on one thread) that the kill lands mid-way
SLOW = ("backup_chunk_size = 1048576\nbackup_compression_algorithm = zlib\nbackup_compression_level = 9\n"
        "backup_workers = 1\nbackup_poll_interval_s = 0.2\nbackup_lease_ttl_s = 3\n")


@pytest.fixture(scope="module")
def stack() -> Iterator[SplitStack]:
    stack = SplitStack(driver="file", quota_volumes=50, backup_services=2, extra_conf=SLOW).start()
    yield stack
    stack.close()


def _wait(api: httpx.Client, path: str, statuses: set[str], *, timeout_s: float = 180) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    body: dict[str, Any] = {}
    while time.monotonic() < deadline:
        body = next(iter(api.get(path).json().values()))
        if body.get("status") in statuses:
            return body
        time.sleep(0.1)
    raise AssertionError(f"{path} did not reach {statuses}: {body}")


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(8 * MiB):
            sha.update(block)
    return sha.hexdigest()


def _holder(stack: SplitStack, backup_id: str, *, timeout_s: float = 60) -> str:
    """The process running the backup once it has made some progress (its services' process name)."""
    engine = sa.create_engine(stack.db_url)
    try:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                row = conn.execute(sa.text("SELECT host, progress FROM backups WHERE id = :id"),
                                   {"id": backup_id}).one()
            if row.host and 0 < row.progress < 90:
                node = row.host.removeprefix("backup:")
                return "backup" if node == "backup-1" else node
            time.sleep(0.05)
    finally:
        engine.dispose()
    raise AssertionError(f"backup {backup_id} never ran")


def _kill(stack: SplitStack, name: str) -> None:
    process = stack.processes[name]
    os.killpg(process.popen.pid, signal.SIGKILL)
    process.popen.wait()


def _restart(stack: SplitStack, name: str) -> None:
    node = "backup-1" if name == "backup" else name
    stack.spawn(name, ["ember-backup"], host=node)


def _temporary_snapshots(api: httpx.Client) -> list[dict[str, Any]]:
    return [s for s in api.get("/snapshots/detail").json()["snapshots"] if (s["name"] or "").startswith("backup-")]


def test_kill_mid_backup_of_an_attached_volume_and_mid_restore(stack: SplitStack) -> None:
    with httpx.Client(base_url=stack.endpoint, headers=TOKEN, timeout=30) as api:
        created = api.post("/volumes", json={"volume": {"size": 1}})
        volume_id = created.json()["volume"]["id"]
        _wait(api, f"/volumes/{volume_id}", {"available"})
        path = stack.workdir / "share" / f"volume-{volume_id}"
        with open(path, "r+b") as f:
            f.write(os.urandom(WRITTEN))
        assert api.post(f"/volumes/{volume_id}/action", json={"os-reserve": {}}).status_code == 202
        attached = api.post(f"/volumes/{volume_id}/action", json={"os-attach": {
            "instance_uuid": "8e8a4cfb-6a1a-4a50-9e1c-2a7a3a3f0a11", "mountpoint": "/dev/vdb"}})
        assert attached.status_code == 202, attached.text
        _wait(api, f"/volumes/{volume_id}", {"in-use"})
        at_backup = _digest(path)

        refused = api.post("/backups", json={"backup": {"volume_id": volume_id}})
        assert refused.status_code == 400 and "force" in refused.text
        created = api.post("/backups", json={"backup": {"volume_id": volume_id, "force": True}})
        assert created.status_code == 202, created.text
        backup_id = created.json()["backup"]["id"]
        victim = _holder(stack, backup_id)
        killed_at = time.monotonic()
        _kill(stack, victim)
        ended = _wait(api, f"/backups/{backup_id}", {"available", "error"})
        took_s = time.monotonic() - killed_at
        volume = _wait(api, f"/volumes/{volume_id}", {"in-use"}, timeout_s=30)
        assert volume["status"] == "in-use"  # its prior status
        deadline = time.monotonic() + 60
        while _temporary_snapshots(api) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _temporary_snapshots(api) == []
        print(f"backup killed mid-way: ended {ended['status']} {took_s:.1f} s after the kill")
        assert ended["status"] == "available", ended  # the survivor redid it
        _restart(stack, victim)

        # mid-restore: into a new volume, the survivor writes it again from the start
        detached = api.post(f"/volumes/{volume_id}/action", json={"os-detach": {}})
        assert detached.status_code == 202, detached.text
        _wait(api, f"/volumes/{volume_id}", {"available"})
        restored = api.post(f"/backups/{backup_id}/restore", json={"restore": {}})
        assert restored.status_code == 202, restored.text
        new_id = restored.json()["restore"]["volume_id"]
        victim = _holder(stack, backup_id)
        _kill(stack, victim)
        _wait(api, f"/backups/{backup_id}", {"available"})
        target = _wait(api, f"/volumes/{new_id}", {"available", "error_restoring"})
        assert target["status"] == "available"
        assert _digest(stack.workdir / "share" / f"volume-{new_id}") == at_backup
        _restart(stack, victim)
