"""Incremental backups store only the chunks that changed and restore the volume as it was at each backup."""

from __future__ import annotations

from pathlib import Path

import pytest

from backup.engine.create import BackupSettings
from backup.engine.delete import delete_backup
from backup.engine.errors import BackupIncomplete
from backup.stores.posix import PosixStore
from tests.unit.backup.helpers import (
    KiB,
    backup,
    garbage_target,
    make_volume,
    random_bytes,
    restore,
    write_at,
)


def test_incremental_stores_changed_chunks_and_restores_each_state(tmp_path: Path) -> None:
    chunk, size = 256 * KiB, 40 * 256 * KiB
    volume = make_volume(tmp_path / "vol", size, [(0, random_bytes(size))])
    store = PosixStore(tmp_path / "store")
    full = backup(volume, store, "full")
    state_full = volume.read_bytes()
    for index in (3, 17, 18, 39):  # 10 % of the chunks change
        write_at(volume, index * chunk + 1000, random_bytes(5000))
    incr = backup(volume, store, "incr", parent=full)
    state_incr = volume.read_bytes()
    assert incr.parent_id == "full" and incr.new_chunks == 4
    assert sorted(store.list("incr/"))[:-1] == [f"incr/chunk-{i:08d}" for i in (3, 17, 18, 39)]
    assert incr.stored_bytes < full.stored_bytes / 9
    assert incr.chunks[0].object == "full/chunk-00000000"  # unchanged: the parent's object

    write_at(volume, 0, random_bytes(size))  # overwrite everything
    restore(store, "incr", garbage_target(tmp_path / "new", size))
    assert (tmp_path / "new").read_bytes() == state_incr
    restore(store, "full", volume)
    assert volume.read_bytes() == state_full


def test_incremental_of_a_grown_volume_and_zeroed_chunks(tmp_path: Path) -> None:
    volume = make_volume(tmp_path / "vol", 1024 * KiB, [(0, random_bytes(1024 * KiB))])
    store = PosixStore(tmp_path / "store")
    full = backup(volume, store, "full")
    with open(volume, "r+b") as f:
        f.truncate(1536 * KiB)  # extended by two chunks
        f.seek(1280 * KiB)
        f.write(b"new" * 1000)
    write_at(volume, 0, bytes(256 * KiB))  # chunk 0 discarded to zeros
    incr = backup(volume, store, "incr", parent=full)
    assert [c.zero for c in incr.chunks] == [True, False, False, False, True, False]
    assert incr.new_chunks == 1
    target = garbage_target(tmp_path / "t", 1536 * KiB)
    restore(store, "incr", target)
    assert target.read_bytes() == volume.read_bytes()


def test_incremental_keeps_the_parents_chunk_layout(tmp_path: Path) -> None:
    volume = make_volume(tmp_path / "vol", 1024 * KiB, [(0, random_bytes(1024 * KiB))])
    store = PosixStore(tmp_path / "store")
    full = backup(volume, store, "full")
    incr = backup(volume, store, "incr", parent=full,
                  settings=BackupSettings(chunk_size=512 * KiB, block_size=64 * KiB))
    assert (incr.chunk_size, incr.block_size, incr.new_chunks) == (256 * KiB, 16 * KiB, 0)


def test_deleted_backup_is_gone_and_cannot_be_restored(tmp_path: Path) -> None:
    volume = make_volume(tmp_path / "vol", 512 * KiB, [(0, random_bytes(512 * KiB))])
    store = PosixStore(tmp_path / "store")
    backup(volume, store, "b1")
    assert delete_backup(store, "b1") == 2
    assert store.list("b1/") == []
    with pytest.raises(BackupIncomplete, match="no metadata document"):
        restore(store, "b1", garbage_target(tmp_path / "t", 512 * KiB))
