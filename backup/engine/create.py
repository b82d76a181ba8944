"""Create a full or incremental backup of a volume into a store (called by the backup service).

Chunks are read in order on the calling thread and hashed, compressed and uploaded on worker threads;
the metadata document goes last, so an interrupted backup is never taken for a complete one, and the
objects it had stored are removed when the failure leaves the process alive.
"""

from __future__ import annotations

import contextlib
import logging
import mmap
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from backup.engine.blocks import BlockLayout
from backup.engine.errors import BackupError, BackupInvalid
from backup.engine.format import (
    COMPRESSIONS,
    DEFAULT_BLOCK_SIZE,
    DEFAULT_CHUNK_SIZE,
    BackupMetadata,
    ChunkRecord,
    chunk_object_name,
    metadata_name,
)
from backup.engine.pipeline import BufferPool, ordered_map
from backup.stores.base import BackupStore
from backup.volumes.base import VolumeReader

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class BackupSettings:
    chunk_size: int = DEFAULT_CHUNK_SIZE
    block_size: int = DEFAULT_BLOCK_SIZE
    compression: str = "zstd"
    level: int | None = None  # None: codec.DEFAULT_LEVELS
    workers: int = 0  # 0: one per CPU
    depth: int = 0  # chunks in flight; 0: workers + 2

    def threads(self) -> tuple[int, int]:
        workers = self.workers or os.cpu_count() or 2
        return workers, self.depth or workers + 2


@dataclass(frozen=True)
class _Slice:
    index: int
    offset: int
    length: int
    buf: mmap.mmap


@dataclass(frozen=True)
class _Done:
    record: ChunkRecord
    stored: int  # bytes this backup uploaded for the chunk (0: zero, or the parent's)


def create_backup(reader: VolumeReader, store: BackupStore, *, backup_id: str,
                  parent: BackupMetadata | None = None, settings: BackupSettings = BackupSettings(),
                  progress: Progress | None = None, cancel: threading.Event | None = None) -> BackupMetadata:
    """Back ``reader``'s bytes up as ``backup_id``; with ``parent``, store only chunks that differ from it.

    An incremental keeps its parent's chunk and block sizes. Raises a ``BackupError``; nothing that
    ``restore`` would accept is left behind then.
    """
    if settings.compression not in COMPRESSIONS:
        raise BackupInvalid(backup_id, f"unknown compression {settings.compression!r}")
    chunk_size = parent.chunk_size if parent else settings.chunk_size
    layout = BlockLayout(chunk_size, parent.block_size if parent else settings.block_size)
    workers, depth = settings.threads()
    pool = BufferPool(depth + 1, chunk_size)
    parent_chunks = {c.index: c for c in parent.chunks} if parent else {}
    done_bytes = 0

    def slices() -> Iterator[_Slice]:
        for index, offset in enumerate(range(0, reader.size, chunk_size)):
            buf = pool.take()
            length = reader.read_into(offset, memoryview(buf))
            if length != min(chunk_size, reader.size - offset):
                pool.give(buf)
                raise BackupError(f"backup {backup_id}: short read of the volume at {offset}")
            yield _Slice(index, offset, length, buf)

    def work(piece: _Slice) -> _Done:
        try:
            data = memoryview(piece.buf)[:piece.length]
            digest = layout.digest(data)
            if digest.all_zero:
                return _Done(ChunkRecord(index=piece.index, offset=piece.offset, length=piece.length, zero=True), 0)
            old = parent_chunks.get(piece.index)
            if old is not None and not old.zero and old.length == piece.length and old.sha256 == digest.sha256:
                return _Done(old, 0)
            used, parts = layout.encode(data, digest, compression=settings.compression, level=settings.level)
            name = chunk_object_name(backup_id, piece.index)
            store.put(name, parts)  # the parts may be views of the read buffer: stored before it is reused
            size = sum(len(p) for p in parts)
            del data, parts
        finally:
            pool.give(piece.buf)
        return _Done(layout.record(piece.index, piece.offset, piece.length, digest, obj=name, compression=used,
                                   stored_length=size), size)

    records: list[ChunkRecord] = []
    stored = 0
    try:
        for result in ordered_map(work, slices(), workers=workers, depth=depth, cancel=cancel,
                                  backup_id=backup_id):
            records.append(result.record)
            stored += result.stored
            done_bytes += result.record.length
            if progress is not None:
                progress(done_bytes, reader.size)
        metadata = BackupMetadata(
            backup_id=backup_id, parent_id=parent.backup_id if parent else None,
            created_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), volume_size=reader.size,
            chunk_size=chunk_size, block_size=layout.block_size, compression=settings.compression,
            chunks=tuple(records), stored_bytes=stored,
            new_chunks=sum(1 for r in records if r.object.startswith(f"{backup_id}/")))
        store.commit()  # every chunk durable before the document that makes the backup complete
        store.put(metadata_name(backup_id), [metadata.to_bytes()])
        store.commit()
        return metadata
    except BaseException:
        _discard(store, backup_id)
        raise
    finally:
        pool.close()


def _discard(store: BackupStore, backup_id: str) -> None:
    """Best effort: remove the objects a failed backup stored (a later ``purge`` catches what remains)."""
    with contextlib.suppress(BackupError):
        for name in store.list(f"{backup_id}/"):
            with contextlib.suppress(BackupError):
                store.delete(name)
