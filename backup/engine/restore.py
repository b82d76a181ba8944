"""Restore a backup onto a volume, verified in full before the first byte is written (backup service).

Bounded memory means the whole backup cannot be held, so restore makes two passes over the store:

1. **verify**: every chunk object is fetched, decompressed and checked block by block against its
   sha256 digests and the chunk hash in the metadata; nothing is written. A missing or truncated
   object or metadata document, or any mismatch, raises and the target is untouched.
2. **write**: every chunk object is fetched, decompressed and verified again (the store may have
   changed in between), then written. Zero chunks and zero blocks are written as zeros unless the
   target is new (``zeroed``), where only the runs of non-zero blocks are written.

An object that changes in the store between the passes is caught in pass 2 and fails the restore
with the target partly written: the price of not spooling a whole backup to local disk.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from backup.engine.blocks import BlockLayout
from backup.engine.errors import BackupIncomplete, ObjectMissing, RestoreTargetTooSmall
from backup.engine.format import BackupMetadata, ChunkRecord, metadata_name, parse_metadata
from backup.engine.pipeline import BufferPool, ordered_map
from backup.stores.base import BackupStore
from backup.volumes.base import VolumeWriter

Progress = Callable[[int, int], None]


def load_metadata(store: BackupStore, backup_id: str) -> BackupMetadata:
    """The backup's metadata document; a backup without one never completed (``BackupIncomplete``)."""
    try:
        raw = store.get(metadata_name(backup_id))
    except ObjectMissing:
        raise BackupIncomplete(backup_id, "no metadata document (the backup never completed, or was deleted)") \
            from None
    return parse_metadata(raw, backup_id)


def _fetch(store: BackupStore, backup_id: str, chunk: ChunkRecord) -> bytes:
    try:
        obj = store.get(chunk.object)
    except ObjectMissing:
        raise BackupIncomplete(backup_id, f"chunk object {chunk.object} (volume offset {chunk.offset}) is "
                                          f"missing") from None
    if len(obj) != chunk.stored_length:
        raise BackupIncomplete(backup_id, f"chunk object {chunk.object} holds {len(obj)} bytes, "
                                          f"{chunk.stored_length} recorded (truncated)")
    return obj


def verify_backup(store: BackupStore, metadata: BackupMetadata, *, workers: int = 2, depth: int = 4,
                  cancel: threading.Event | None = None, progress: Progress | None = None) -> None:
    """Pass 1: raise unless every chunk of the backup is present and matches its hashes."""
    layout = BlockLayout(metadata.chunk_size, metadata.block_size)
    stored = [c for c in metadata.chunks if not c.zero]

    def check(chunk: ChunkRecord) -> int:
        layout.decode(_fetch(store, metadata.backup_id, chunk), chunk, metadata.backup_id)
        return chunk.length

    done = 0
    for length in ordered_map(check, stored, workers=workers, depth=depth, cancel=cancel,
                              backup_id=metadata.backup_id):
        done += length
        if progress is not None:
            progress(done, metadata.volume_size)


def restore_backup(store: BackupStore, backup_id: str, writer: VolumeWriter, *, workers: int = 2,
                   depth: int = 4, cancel: threading.Event | None = None,
                   progress: Progress | None = None) -> BackupMetadata:
    """Verify ``backup_id`` entirely, then write it onto ``writer``; progress counts both passes."""
    metadata = load_metadata(store, backup_id)
    if writer.size < metadata.volume_size:
        raise RestoreTargetTooSmall(backup_id, volume_size=metadata.volume_size, target_size=writer.size)
    total = 2 * metadata.volume_size
    verify_backup(store, metadata, workers=workers, depth=depth, cancel=cancel,
                  progress=(lambda done, _t: progress(done, total)) if progress else None)
    layout = BlockLayout(metadata.chunk_size, metadata.block_size)
    pool = BufferPool(depth + 1, metadata.chunk_size)  # page aligned: the writer may use O_DIRECT

    def put(chunk: ChunkRecord) -> int:
        if chunk.zero:
            writer.write_zeroes(chunk.offset, chunk.length)
            return chunk.length
        obj = _fetch(store, backup_id, chunk)
        buf = pool.take()
        try:
            view = memoryview(buf)[:chunk.length]
            runs = layout.decode(obj, chunk, backup_id, into=view)
            if not writer.zeroed:
                writer.write(chunk.offset, view)
            for start, end in runs if writer.zeroed else ():
                # a new volume reads zeros already: only the runs of non-zero blocks are written
                writer.write(chunk.offset + start, view[start:end])
            del view
        finally:
            pool.give(buf)
        return chunk.length

    done = metadata.volume_size
    try:
        for length in ordered_map(put, metadata.chunks, workers=workers, depth=depth, cancel=cancel,
                                  backup_id=backup_id):
            done += length
            if progress is not None:
                progress(done, total)
    finally:
        pool.close()
    writer.flush()
    return metadata
