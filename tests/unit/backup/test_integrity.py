"""A corrupt, missing or truncated backup is refused with a clear error and the target is left untouched."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from pathlib import Path

import pytest

from backup.engine.create import create_backup
from backup.engine.errors import BackupCancelled, BackupCorrupt, BackupIncomplete, BackupInvalid, StoreError
from backup.engine.format import metadata_name
from backup.engine.restore import load_metadata
from backup.stores.base import Buffer
from backup.stores.posix import PosixStore
from backup.volumes.files import FileVolumeReader
from tests.unit.backup.helpers import SMALL, KiB, backup, garbage_target, make_volume, random_bytes, restore

SIZE = 2048 * KiB  # 8 chunks of 256 KiB


@pytest.fixture
def stored(tmp_path: Path) -> tuple[PosixStore, Path]:
    """A backup ``b1`` of a volume with text and random data; and a restore target of 0xEE bytes."""
    volume = make_volume(tmp_path / "vol", SIZE, [(0, b"compressible " * 50000), (1024 * KiB, random_bytes(1024 * KiB))])
    store = PosixStore(tmp_path / "store")
    backup(volume, store, "b1")
    return store, garbage_target(tmp_path / "target", SIZE)


def _untouched(target: Path) -> bool:
    return target.read_bytes() == bytes([0xEE]) * SIZE


def _last_object(store: PosixStore) -> Path:
    # the last chunk: a restore that wrote while it verified would have written the seven before it
    return store.root / "b1/chunk-00000007"


@pytest.mark.parametrize("where", ["payload", "digest header", "compressed chunk"])
def test_a_corrupt_chunk_is_refused(stored: tuple[PosixStore, Path], where: str) -> None:
    store, target = stored
    path = _last_object(store) if where != "compressed chunk" else store.root / "b1/chunk-00000000"
    data = bytearray(path.read_bytes())
    data[{"payload": -100, "digest header": 20, "compressed chunk": -10}[where]] ^= 0x40
    path.write_bytes(bytes(data))
    with pytest.raises(BackupCorrupt, match="backup b1 is corrupt: chunk object b1/chunk-0000000"):
        restore(store, "b1", target)
    assert _untouched(target)


def test_a_missing_chunk_is_refused(stored: tuple[PosixStore, Path]) -> None:
    store, target = stored
    _last_object(store).unlink()
    with pytest.raises(BackupIncomplete, match="chunk object b1/chunk-00000007 .* is missing"):
        restore(store, "b1", target)
    assert _untouched(target)


def test_a_truncated_chunk_is_refused(stored: tuple[PosixStore, Path]) -> None:
    store, target = stored
    path = _last_object(store)
    path.write_bytes(path.read_bytes()[:-1])
    with pytest.raises(BackupIncomplete, match="truncated"):
        restore(store, "b1", target)
    assert _untouched(target)


@pytest.mark.parametrize("keep", [0, 10, 0.5, -1])
def test_a_truncated_metadata_document_is_refused(stored: tuple[PosixStore, Path], keep: float) -> None:
    store, target = stored
    raw = store.get(metadata_name("b1"))
    cut = int(len(raw) * keep) if isinstance(keep, float) else keep
    (store.root / metadata_name("b1")).write_bytes(raw[:cut])
    with pytest.raises(BackupIncomplete, match="metadata document is truncated"):
        restore(store, "b1", target)
    assert _untouched(target)


def test_a_metadata_document_missing_chunks_is_refused(stored: tuple[PosixStore, Path]) -> None:
    store, target = stored
    doc = json.loads(store.get(metadata_name("b1")))
    doc["chunks"].pop()
    (store.root / metadata_name("b1")).write_bytes(json.dumps(doc).encode())
    with pytest.raises(BackupIncomplete, match="lists 7 chunks, the volume needs 8"):
        restore(store, "b1", target)
    assert _untouched(target)


def test_a_foreign_document_is_refused(stored: tuple[PosixStore, Path]) -> None:
    store, _target = stored
    (store.root / metadata_name("b1")).write_bytes(b'{"format": "cinder", "version": 1}')
    with pytest.raises(BackupInvalid, match="not an ember-backup metadata document"):
        load_metadata(store, "b1")


class _FailingStore(PosixStore):
    """A store whose put fails after ``budget`` objects: an upload cut off half-way."""

    def __init__(self, root: Path, budget: int) -> None:
        super().__init__(root)
        self.budget = budget
        self.lock = threading.Lock()

    def put(self, name: str, parts: Sequence[Buffer]) -> None:
        with self.lock:
            self.budget -= 1
            if self.budget < 0:
                raise StoreError(f"store unreachable while writing {name}")
        super().put(name, parts)


def test_an_interrupted_backup_leaves_nothing_restorable(tmp_path: Path) -> None:
    volume = make_volume(tmp_path / "vol", SIZE, [(0, random_bytes(SIZE))])
    store = _FailingStore(tmp_path / "store", budget=5)
    with pytest.raises(StoreError, match="unreachable"):
        backup(volume, store, "b1")
    assert store.list("b1/") == []  # what it stored is removed, and no metadata was written
    with pytest.raises(BackupIncomplete, match="no metadata document"):
        restore(store, "b1", garbage_target(tmp_path / "t", SIZE))


def test_objects_of_a_crashed_backup_without_metadata_are_refused(stored: tuple[PosixStore, Path]) -> None:
    """What a kill -9 mid-upload leaves: chunk objects, no metadata document."""
    store, target = stored
    (store.root / metadata_name("b1")).unlink()
    with pytest.raises(BackupIncomplete, match="never completed"):
        restore(store, "b1", target)
    assert _untouched(target)


def test_a_cancelled_backup_stops_and_leaves_nothing(tmp_path: Path) -> None:
    volume = make_volume(tmp_path / "vol", SIZE, [(0, random_bytes(SIZE))])
    store = PosixStore(tmp_path / "store")
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(BackupCancelled):
        create_backup(FileVolumeReader(str(volume)), store, backup_id="b1", settings=SMALL, cancel=cancel)
    assert store.list("") == []
