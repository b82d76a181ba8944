"""python-cinderclient (backup-create, backup-list, backup-restore, backup-delete) and openstacksdk drive
backups of a running ember-all; the restored volume holds the backed-up bytes."""

from __future__ import annotations

import os
import time

import pytest

from bench.stack import EmbeddedStack
from tests.clients.test_cinderclient import cinder, field, wait_gone, wait_status
from tests.clients.test_openstacksdk import _token_connection

pytestmark = pytest.mark.clients


def test_cinderclient_backup_create_list_restore_delete(ember: EmbeddedStack) -> None:
    volume_id = field(cinder(ember, "create", "--name", "to-back-up", "1"), "id")
    wait_status(ember, "", volume_id, "available")
    share = ember.workdir / "share"
    data = os.urandom(3 * 1024 * 1024)
    (share / f"volume-{volume_id}").open("r+b").write(data)

    backup_id = field(cinder(ember, "backup-create", "--name", "cc-backup", volume_id, version="3.64"), "id")
    wait_status(ember, "backup-", backup_id, "available", timeout_s=120)
    assert backup_id in cinder(ember, "backup-list")
    shown = cinder(ember, "backup-show", backup_id, version="3.64")
    assert field(shown, "volume_id") == volume_id and field(shown, "is_incremental") == "False"

    incremental = field(cinder(ember, "backup-create", "--incremental", volume_id), "id")
    wait_status(ember, "backup-", incremental, "available", timeout_s=120)
    refused = cinder(ember, "backup-delete", backup_id, check=False)
    assert "Incremental backups exist" in refused

    restored = cinder(ember, "backup-restore", "--name", "restored", incremental, version="3.64")
    new_id = field(restored, "volume_id")
    wait_status(ember, "backup-", incremental, "available", timeout_s=120)
    wait_status(ember, "", new_id, "available", timeout_s=120)
    deadline = time.monotonic() + 60
    while (share / f"volume-{new_id}").read_bytes()[:len(data)] != data:
        assert time.monotonic() < deadline, "the restored volume never held the data"
        time.sleep(0.3)

    cinder(ember, "backup-delete", incremental)
    wait_gone(ember, "backup-show", incremental)
    cinder(ember, "backup-delete", backup_id)
    wait_gone(ember, "backup-show", backup_id)


def test_openstacksdk_backup_restore_delete(ember: EmbeddedStack) -> None:
    conn = _token_connection(ember.endpoint)
    volume = conn.block_storage.create_volume(size=1, name="sdk-backup")
    volume = conn.block_storage.wait_for_status(volume, status="available", failures=["error"], wait=60,
                                                interval=0.2)
    data = os.urandom(1024 * 1024)
    (ember.workdir / "share" / f"volume-{volume.id}").open("r+b").write(data)
    backup = conn.block_storage.create_backup(volume_id=volume.id, name="sdk")
    backup = conn.block_storage.wait_for_status(backup, status="available", failures=["error"], wait=120,
                                                interval=0.3)
    assert backup.id in {b.id for b in conn.block_storage.backups()}
    target = conn.block_storage.create_volume(size=1, name="sdk-target")
    target = conn.block_storage.wait_for_status(target, status="available", failures=["error"], wait=60,
                                                interval=0.2)
    conn.block_storage.restore_backup(backup.id, volume=target.id)
    assert conn.block_storage.get_volume(target.id).status == "restoring-backup"
    deadline = time.monotonic() + 120
    while conn.block_storage.get_volume(target.id).status == "restoring-backup":
        assert time.monotonic() < deadline, "the restore did not end"
        time.sleep(0.3)
    assert conn.block_storage.get_volume(target.id).status == "available"
    assert conn.block_storage.get_backup(backup.id).status == "available"
    assert (ember.workdir / "share" / f"volume-{target.id}").read_bytes()[:len(data)] == data
    conn.block_storage.delete_backup(backup.id)
    conn.block_storage.wait_for_delete(backup, wait=60, interval=0.3)
