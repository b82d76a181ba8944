"""A backup's state machine, and what a backup's landing does to the volume its operation holds."""

from __future__ import annotations

from enum import StrEnum

from operations.operation import Operation, Recovery
from volume.states.volumes import TRANSITIONS, Edge, Status, plain_edge


class BackupStatus(StrEnum):
    CREATING = "creating"
    AVAILABLE = "available"
    ERROR = "error"
    DELETING = "deleting"
    ERROR_DELETING = "error_deleting"
    RESTORING = "restoring"
    DELETED = "deleted"


BACKUP_TRANSITIONS: dict[str, tuple[frozenset[BackupStatus], BackupStatus]] = {
    "create.done": (frozenset({BackupStatus.CREATING}), BackupStatus.AVAILABLE),
    "create.fail": (frozenset({BackupStatus.CREATING}), BackupStatus.ERROR),
    "restore.begin": (frozenset({BackupStatus.AVAILABLE}), BackupStatus.RESTORING),
    "restore.done": (frozenset({BackupStatus.RESTORING}), BackupStatus.AVAILABLE),
    # the backup is intact: only the target volume is left in error_restoring
    "restore.fail": (frozenset({BackupStatus.RESTORING}), BackupStatus.AVAILABLE),
    "delete.begin": (frozenset({BackupStatus.AVAILABLE, BackupStatus.ERROR, BackupStatus.ERROR_DELETING}),
                     BackupStatus.DELETING),
    # admin: also a creating or restoring backup, once no live service holds it (its claim is revoked)
    "force_delete.begin": (frozenset(BackupStatus) - {BackupStatus.DELETING, BackupStatus.DELETED},
                           BackupStatus.DELETING),
    "delete.done": (frozenset({BackupStatus.DELETING}), BackupStatus.DELETED),
    "delete.fail": (frozenset({BackupStatus.DELETING}), BackupStatus.ERROR_DELETING),
}

# The fail edge out of each transient backup status.
BACKUP_TRANSIENT: dict[BackupStatus, str] = {
    BackupStatus.CREATING: "create.fail",
    BackupStatus.RESTORING: "restore.fail",
    BackupStatus.DELETING: "delete.fail",
}

# A live backup service finishes what a dead one left: every one of these is idempotent (a backup is
# made again from the start, a restore writes every byte again, a delete removes what is left).
BACKUP_RECOVERY: dict[BackupStatus, Recovery] = {
    BackupStatus.CREATING: Recovery.REDO,
    BackupStatus.RESTORING: Recovery.REDO,
    BackupStatus.DELETING: Recovery.REDO,
}

BACKUP_OPERATIONS: dict[str, Operation] = {
    name: Operation("backup", name, str(working), f"{name}.done", f"{name}.fail", BACKUP_RECOVERY[working])
    for name, working in (("create", BackupStatus.CREATING), ("restore", BackupStatus.RESTORING),
                          ("delete", BackupStatus.DELETING))
}

# What a backup's landing does to the volume its operation holds (the source, or the restore target):
# done gives it back; a failed backup gives it back too, a failed restore leaves it error_restoring.
BACKUP_VOLUME_DONE: tuple[Edge, ...] = (
    (frozenset({Status.BACKING_UP, Status.RESTORING_BACKUP}), Status.AVAILABLE),)
BACKUP_VOLUME_FAIL: tuple[Edge, ...] = (
    TRANSITIONS["backup.fail"], TRANSITIONS["restore.fail"])

# Statuses an admin may set with a backup's os-reset_status (Cinder's: available, error).
BACKUP_RESETTABLE = frozenset({BackupStatus.AVAILABLE, BackupStatus.ERROR})


def backup_edge(event: str) -> tuple[frozenset[str], str]:
    return plain_edge(BACKUP_TRANSITIONS[event])


def backup_recovery_of(status: str) -> tuple[Operation, Recovery]:
    backup_status = BackupStatus(status)
    name = {BackupStatus.CREATING: "create", BackupStatus.RESTORING: "restore"}.get(backup_status, "delete")
    return BACKUP_OPERATIONS[name], BACKUP_RECOVERY[backup_status]


def plain_edges(edges: tuple[Edge, ...]) -> tuple[tuple[frozenset[str], str], ...]:
    return tuple(plain_edge(each) for each in edges)
