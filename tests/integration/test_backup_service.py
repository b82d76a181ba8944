"""Backups through the whole of ember: the API, ember-backup (its engine, a POSIX store) and the file backend.

full → change 10 % → incremental → overwrite → restore the incremental into a new volume and the full into
the original, every byte compared; a corrupted chunk refuses the restore and writes nothing; a parent with
an incremental cannot be deleted.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bench.stack import SplitStack

pytestmark = pytest.mark.integration

TOKEN = {"X-Auth-Token": "demo:demo", "OpenStack-API-Version": "volume 3.64"}
ADMIN = {"X-Auth-Token": "admin:admin", "OpenStack-API-Version": "volume 3.64"}
MiB = 1024 * 1024
CHUNK = 256 * 1024
WRITTEN = 32 * MiB  # the part of the 1 GiB volume the test writes (the rest stays sparse)


@pytest.fixture(scope="module")
def stack() -> Iterator[SplitStack]:
    stack = SplitStack(driver="file", quota_volumes=50,
                       extra_conf=f"backup_chunk_size = {CHUNK}\nbackup_poll_interval_s = 0.2\n").start()
    yield stack
    stack.close()


def _wait(api: httpx.Client, path: str, status: str, *, timeout_s: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    body: dict[str, Any] = {}
    while time.monotonic() < deadline:
        body = next(iter(api.get(path).json().values()))
        if body.get("status") == status:
            return body
        time.sleep(0.1)
    raise AssertionError(f"{path} did not reach {status}: {body}")


def _volume(api: httpx.Client, stack: SplitStack, size_gb: int = 1) -> tuple[str, Path]:
    created = api.post("/volumes", json={"volume": {"size": size_gb}})
    assert created.status_code == 202, created.text
    volume_id = created.json()["volume"]["id"]
    _wait(api, f"/volumes/{volume_id}", "available")
    return volume_id, stack.workdir / "share" / f"volume-{volume_id}"


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(8 * MiB):
            sha.update(block)
    return sha.hexdigest()


def _backup(api: httpx.Client, volume_id: str, **extra: Any) -> dict[str, Any]:
    created = api.post("/backups", json={"backup": {"volume_id": volume_id, **extra}})
    assert created.status_code == 202, created.text
    backup_id = created.json()["backup"]["id"]
    backup = _wait(api, f"/backups/{backup_id}?progress=true", "available")
    assert _wait(api, f"/volumes/{volume_id}", "available")
    return backup


def _store(stack: SplitStack) -> Path:
    return stack.workdir / "state" / "backups"


def test_full_incremental_and_both_restores_give_back_every_byte(stack: SplitStack) -> None:
    with httpx.Client(base_url=stack.endpoint, headers=TOKEN, timeout=30) as api:
        volume_id, path = _volume(api, stack)
        with open(path, "r+b") as f:
            f.write(os.urandom(WRITTEN))
        at_full = _digest(path)
        full = _backup(api, volume_id, name="full")
        assert full["is_incremental"] is False and full["progress"] == 100 and full["size"] == 1

        with open(path, "r+b") as f:  # 10 % of the written chunks change
            for index in range(0, WRITTEN // CHUNK, 10):
                f.seek(index * CHUNK + 17)
                f.write(os.urandom(100))
        at_incremental = _digest(path)
        incremental = _backup(api, volume_id, incremental=True, name="incr")
        assert incremental["is_incremental"] is True
        changed_chunks = len(range(0, WRITTEN // CHUNK, 10))
        assert incremental["object_count"] == changed_chunks  # only the changed chunks were stored
        assert full["object_count"] == WRITTEN // CHUNK  # the sparse rest: recorded, not stored

        with open(path, "r+b") as f:
            f.write(os.urandom(WRITTEN))  # the volume is lost

        restored = api.post(f"/backups/{incremental['id']}/restore", json={"restore": {"name": "back"}})
        assert restored.status_code == 202, restored.text
        new_id = restored.json()["restore"]["volume_id"]
        _wait(api, f"/backups/{incremental['id']}", "available")
        _wait(api, f"/volumes/{new_id}", "available")
        assert _digest(stack.workdir / "share" / f"volume-{new_id}") == at_incremental

        into = api.post(f"/backups/{full['id']}/restore", json={"restore": {"volume_id": volume_id}})
        assert into.status_code == 202, into.text
        assert api.get(f"/volumes/{volume_id}").json()["volume"]["status"] in ("restoring-backup", "available")
        _wait(api, f"/backups/{full['id']}", "available")
        _wait(api, f"/volumes/{volume_id}", "available")
        assert _digest(path) == at_full

        refused = api.delete(f"/backups/{full['id']}")
        assert refused.status_code == 400 and "Incremental backups exist" in refused.text
        detail = api.get(f"/backups/{full['id']}").json()["backup"]
        assert detail["has_dependent_backups"] is True and detail["status"] == "available"

        listed = api.get("/backups/detail", params={"volume_id": volume_id, "sort": "created_at:asc"}).json()
        assert [b["id"] for b in listed["backups"]] == [full["id"], incremental["id"]]

        assert api.delete(f"/backups/{incremental['id']}").status_code == 202
        deadline = time.monotonic() + 60
        while api.get(f"/backups/{incremental['id']}").status_code != 404 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert api.get(f"/backups/{incremental['id']}").status_code == 404
        assert not (_store(stack) / incremental["id"]).exists() or not any((_store(stack) / incremental["id"]).iterdir())
        assert api.delete(f"/backups/{full['id']}").status_code == 202


def test_a_corrupted_chunk_fails_the_restore_and_writes_nothing(stack: SplitStack) -> None:
    with httpx.Client(base_url=stack.endpoint, headers=TOKEN, timeout=30) as api:
        volume_id, path = _volume(api, stack)
        with open(path, "r+b") as f:
            f.write(os.urandom(4 * MiB))
        backup = _backup(api, volume_id)
        chunks = sorted((_store(stack) / backup["id"]).glob("chunk-*"))
        assert chunks, "the backup stored no chunk object"
        victim = chunks[len(chunks) // 2]
        data = bytearray(victim.read_bytes())
        data[len(data) // 2] ^= 0xFF
        victim.write_bytes(bytes(data))

        target_id, target = _volume(api, stack)
        with open(target, "r+b") as f:
            f.write(b"untouched" * 1000)
        before = _digest(target)
        restored = api.post(f"/backups/{backup['id']}/restore", json={"restore": {"volume_id": target_id}})
        assert restored.status_code == 202, restored.text
        failed = _wait(api, f"/volumes/{target_id}", "error_restoring")
        assert failed["status"] == "error_restoring"
        after = _wait(api, f"/backups/{backup['id']}", "available")
        assert "corrupt" in (after["fail_reason"] or "")
        assert _digest(target) == before  # verified before the first write: nothing written
        messages = api.get("/messages").json()["messages"]
        assert any(m["resource_uuid"] == backup["id"] and "restore backup" in m["user_message"] for m in messages)


def test_backup_requests_a_user_gets_wrong_are_refused_in_cinders_words(stack: SplitStack) -> None:
    with httpx.Client(base_url=stack.endpoint, headers=TOKEN, timeout=30) as api:
        volume_id, _ = _volume(api, stack)
        no_parent = api.post("/backups", json={"backup": {"volume_id": volume_id, "incremental": True}})
        assert no_parent.status_code == 400 and "No backups available" in no_parent.text
        assert api.post("/backups", json={"backup": {"volume_id": volume_id, "bogus": 1}}).status_code == 400
        assert api.get("/backups/00000000-0000-0000-0000-000000000000").status_code == 404
        backup = _backup(api, volume_id)
        small_id, _ = _volume(api, stack, size_gb=1)
        extended = api.post(f"/volumes/{volume_id}/action", json={"os-extend": {"new_size": 2}})
        assert extended.status_code == 202
        _wait(api, f"/volumes/{volume_id}", "available")
        deadline = time.monotonic() + 30
        while api.get(f"/volumes/{volume_id}").json()["volume"]["size"] != 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        big = _backup(api, volume_id)
        too_small = api.post(f"/backups/{big['id']}/restore", json={"restore": {"volume_id": small_id}})
        assert too_small.status_code == 400 and "too small" in too_small.text
        assert api.put(f"/backups/{backup['id']}", json={"backup": {"name": "renamed"}},
                       headers={"OpenStack-API-Version": "volume 3.8"}).status_code == 404
        from_backup = api.post("/volumes", json={"volume": {"backup_id": backup["id"]}},
                               headers={"OpenStack-API-Version": "volume 3.47"})
        assert from_backup.status_code == 202, from_backup.text
        new_id = from_backup.json()["volume"]["id"]
        _wait(api, f"/backups/{backup['id']}", "available")
        assert _wait(api, f"/volumes/{new_id}", "available")["size"] == 1
        old = api.post("/volumes", json={"volume": {"backup_id": backup["id"]}},
                       headers={"OpenStack-API-Version": "volume 3.46"})
        assert old.status_code == 400
        renamed = api.put(f"/backups/{backup['id']}", json={"backup": {"name": "renamed"}})
        assert renamed.status_code == 200 and renamed.json()["backup"]["name"] == "renamed"
    with httpx.Client(base_url=stack.endpoint, headers=ADMIN, timeout=30) as admin:
        reset = admin.post(f"/backups/{backup['id']}/action", json={"os-reset_status": {"status": "error"}})
        assert reset.status_code == 202, reset.text
        assert admin.get(f"/backups/{backup['id']}").json()["backup"]["status"] == "error"
        exported = admin.get(f"/backups/{big['id']}/export_record")
        assert exported.status_code == 200 and exported.json()["backup-record"]["backup_service"]
        assert admin.post(f"/backups/{backup['id']}/action", json={"os-force_delete": {}}).status_code == 202
