"""The backup engine's errors; each carries facts (backup id, object, offset), never an HTTP code.

BackupError
├── BackupIncomplete     the metadata document or a chunk object is missing or truncated
├── BackupCorrupt        a chunk's bytes do not match the hashes recorded for them
├── BackupInvalid        a metadata document that is not ember's format, or that this engine cannot read
├── RestoreTargetTooSmall
├── StoreError           a store failed (I/O, network, refused credentials)
│   └── ObjectMissing    the store has no object by that name
├── VolumeIOError        reading or writing the volume failed
└── BackupCancelled      the caller's cancel event was set
"""

from __future__ import annotations


class BackupError(Exception):
    """Base of every error the engine raises."""


class BackupIncomplete(BackupError):
    def __init__(self, backup_id: str, detail: str) -> None:
        super().__init__(f"backup {backup_id} is incomplete: {detail}")
        self.backup_id = backup_id
        self.detail = detail


class BackupCorrupt(BackupError):
    def __init__(self, backup_id: str, *, obj: str, offset: int, detail: str) -> None:
        super().__init__(f"backup {backup_id} is corrupt: chunk object {obj} (volume offset {offset}): {detail}")
        self.backup_id = backup_id
        self.obj = obj
        self.offset = offset
        self.detail = detail


class BackupInvalid(BackupError):
    def __init__(self, backup_id: str, detail: str) -> None:
        super().__init__(f"backup {backup_id} has an unusable metadata document: {detail}")
        self.backup_id = backup_id
        self.detail = detail


class RestoreTargetTooSmall(BackupError):
    def __init__(self, backup_id: str, *, volume_size: int, target_size: int) -> None:
        super().__init__(f"backup {backup_id} holds {volume_size} bytes; the restore target has only {target_size}")
        self.volume_size = volume_size
        self.target_size = target_size


class StoreError(BackupError):
    """A store operation failed; the message names the store and the object."""


class ObjectMissing(StoreError):
    def __init__(self, name: str) -> None:
        super().__init__(f"no object {name!r} in the store")
        self.name = name


class VolumeIOError(BackupError):
    """Reading or writing the volume failed (the message says where)."""


class BackupCancelled(BackupError):
    def __init__(self, backup_id: str) -> None:
        super().__init__(f"backup {backup_id}: operation cancelled")
        self.backup_id = backup_id
