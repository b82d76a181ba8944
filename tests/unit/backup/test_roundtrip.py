"""Full backups: the restored bytes equal the volume's, for every compression, odd sizes and zero blocks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from backup.engine.create import BackupSettings
from backup.engine.errors import RestoreTargetTooSmall
from backup.engine.format import metadata_name
from backup.stores.posix import PosixStore
from tests.unit.backup.helpers import (
    SMALL,
    KiB,
    backup,
    garbage_target,
    make_volume,
    random_bytes,
    restore,
    sha,
)


@pytest.mark.parametrize("compression", ["zstd", "zlib", "none"])
def test_round_trip_per_compression(tmp_path: Path, compression: str) -> None:
    size = 2 * 1024 * KiB + 5 * 4096  # the last chunk is short and ends inside a block
    volume = make_volume(tmp_path / "vol", size, [(0, b"text " * 40000), (700 * KiB, random_bytes(300 * KiB)),
                                                  (size - 3000, b"\x01" * 3000)])
    store = PosixStore(tmp_path / "store")
    meta = backup(volume, store, "b1", settings=BackupSettings(chunk_size=256 * KiB, block_size=16 * KiB,
                                                               compression=compression))
    target = garbage_target(tmp_path / "target", size)
    restore(store, "b1", target)
    assert sha(target) == sha(volume)
    used = {c.compression for c in meta.chunks if not c.zero}
    assert used <= {compression, "none"}
    if compression != "none":
        assert compression in used  # the text chunk compresses


def test_zero_blocks_are_recorded_not_stored(tmp_path: Path) -> None:
    size = 4 * 1024 * KiB
    # one 16 KiB block of data inside chunk 1, everything else never written
    volume = make_volume(tmp_path / "vol", size, [(256 * KiB + 32 * KiB, random_bytes(16 * KiB))])
    store = PosixStore(tmp_path / "store")
    meta = backup(volume, store, "b1")
    stored = [c for c in meta.chunks if not c.zero]
    assert [c.index for c in stored] == [1]
    assert store.list("b1/") == ["b1/chunk-00000001", metadata_name("b1")]
    # the chunk object holds the one data block (plus its header), not the 15 zero blocks around it
    assert stored[0].stored_length < 17 * KiB
    doc = json.loads(store.get(metadata_name("b1")))
    assert doc["chunks"][0] == {"index": 0, "offset": 0, "length": 256 * KiB, "zero": True}
    target = garbage_target(tmp_path / "target", size)
    restore(store, "b1", target)  # zero chunks and zero blocks are written as zeros on an old volume
    assert sha(target) == sha(volume)


def test_random_chunks_are_stored_uncompressed(tmp_path: Path) -> None:
    volume = make_volume(tmp_path / "vol", 1024 * KiB, [(0, random_bytes(1024 * KiB))])
    store = PosixStore(tmp_path / "store")
    meta = backup(volume, store, "b1")
    assert {c.compression for c in meta.chunks} == {"none"}


def test_restore_into_a_larger_volume_keeps_its_tail(tmp_path: Path) -> None:
    volume = make_volume(tmp_path / "vol", 512 * KiB, [(0, random_bytes(512 * KiB))])
    store = PosixStore(tmp_path / "store")
    backup(volume, store, "b1")
    target = garbage_target(tmp_path / "target", 1024 * KiB)
    restore(store, "b1", target)
    data = target.read_bytes()
    assert data[:512 * KiB] == volume.read_bytes() and data[512 * KiB:] == bytes([0xEE]) * 512 * KiB


def test_restore_into_a_smaller_volume_is_refused(tmp_path: Path) -> None:
    volume = make_volume(tmp_path / "vol", 512 * KiB, [(0, b"x")])
    store = PosixStore(tmp_path / "store")
    backup(volume, store, "b1")
    target = garbage_target(tmp_path / "target", 256 * KiB)
    with pytest.raises(RestoreTargetTooSmall, match="262144"):
        restore(store, "b1", target)
    assert target.read_bytes() == bytes([0xEE]) * 256 * KiB


def test_chunk_hashes_cover_every_block(tmp_path: Path) -> None:
    """Two volumes that differ in one byte of one block have different hashes for that chunk only."""
    data = random_bytes(512 * KiB)
    a = make_volume(tmp_path / "a", 512 * KiB, [(0, data)])
    b = make_volume(tmp_path / "b", 512 * KiB, [(0, data), (300 * KiB, bytes([data[300 * KiB] ^ 1]))])
    ma = backup(a, PosixStore(tmp_path / "sa"), "x")
    mb = backup(b, PosixStore(tmp_path / "sb"), "x")
    assert [c.sha256 == d.sha256 for c, d in zip(ma.chunks, mb.chunks)] == [True, False]
    assert SMALL.block_size == 16 * KiB


def test_a_new_volume_gets_only_the_non_zero_blocks_written(tmp_path: Path) -> None:
    size = 8 * 1024 * KiB
    volume = make_volume(tmp_path / "vol", size, [(100 * KiB, random_bytes(20 * KiB)), (5000 * KiB, b"x" * 5)])
    store = PosixStore(tmp_path / "store")
    backup(volume, store, "b1")
    target = make_volume(tmp_path / "new", size)  # sparse: reads as zeros
    restore(store, "b1", target, zeroed=True)
    assert sha(target) == sha(volume)
    assert target.stat().st_blocks * 512 <= 64 * KiB  # two 16 KiB blocks and one more, not 8 MiB
