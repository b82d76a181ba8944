"""Volumes as files with known contents, and the engine run against a POSIX store in a temporary folder."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from backup.engine.create import BackupSettings, create_backup
from backup.engine.format import BackupMetadata
from backup.engine.restore import restore_backup
from backup.stores.base import BackupStore
from backup.volumes.files import FileVolumeReader, FileVolumeWriter

KiB, MiB = 1024, 1024 * 1024
SMALL = BackupSettings(chunk_size=256 * KiB, block_size=16 * KiB, workers=2, depth=3)


def make_volume(path: Path, size: int, writes: list[tuple[int, bytes]] = ()) -> Path:  # type: ignore[assignment]
    with open(path, "wb") as f:
        f.truncate(size)
        for offset, data in writes:
            f.seek(offset)
            f.write(data)
    return path


def write_at(path: Path, offset: int, data: bytes) -> None:
    with open(path, "r+b") as f:
        f.seek(offset)
        f.write(data)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def backup(path: Path, store: BackupStore, backup_id: str, *, parent: BackupMetadata | None = None,
           settings: BackupSettings = SMALL) -> BackupMetadata:
    reader = FileVolumeReader(str(path))
    try:
        return create_backup(reader, store, backup_id=backup_id, parent=parent, settings=settings)
    finally:
        reader.close()


def restore(store: BackupStore, backup_id: str, target: Path, *, zeroed: bool = False) -> BackupMetadata:
    writer = FileVolumeWriter(str(target), zeroed=zeroed)
    try:
        return restore_backup(store, backup_id, writer)
    finally:
        writer.close()


def garbage_target(path: Path, size: int) -> Path:
    """A restore target full of non-zero bytes, so a restore that skips a zero range is caught."""
    path.write_bytes(bytes([0xEE]) * size)
    return path


def random_bytes(n: int) -> bytes:
    return os.urandom(n)
