"""A snapshot's state machine: statuses, edges, operations and recovery, as a volume's (``volumes``)."""

from __future__ import annotations

from enum import StrEnum

from operations.operation import Operation, Recovery
from volume.states.volumes import plain_edge


class SnapshotStatus(StrEnum):
    CREATING = "creating"
    AVAILABLE = "available"
    ERROR = "error"
    DELETING = "deleting"
    ERROR_DELETING = "error_deleting"
    DELETED = "deleted"
    MANAGING = "managing"
    UNMANAGING = "unmanaging"


SNAPSHOT_TRANSITIONS: dict[str, tuple[frozenset[SnapshotStatus], SnapshotStatus]] = {
    "create.done": (frozenset({SnapshotStatus.CREATING}), SnapshotStatus.AVAILABLE),
    "create.fail": (frozenset({SnapshotStatus.CREATING}), SnapshotStatus.ERROR),
    "delete.begin": (frozenset({SnapshotStatus.AVAILABLE, SnapshotStatus.ERROR,
                                SnapshotStatus.ERROR_DELETING}), SnapshotStatus.DELETING),
    # a snapshot left deleting too (Cinder's force delete takes any status); a live volume service that
    # still works on it refuses the action (the admin action's holder check)
    "force_delete.begin": (frozenset(SnapshotStatus) - {SnapshotStatus.DELETED}, SnapshotStatus.DELETING),
    "delete.done": (frozenset({SnapshotStatus.DELETING}), SnapshotStatus.DELETED),
    "delete.fail": (frozenset({SnapshotStatus.DELETING}), SnapshotStatus.ERROR_DELETING),
    # a snapshot used as a clone source is claimed with a version bump, as volumes are
    "clone.begin": (frozenset({SnapshotStatus.AVAILABLE}), SnapshotStatus.AVAILABLE),
    # and so is the snapshot a volume reverts to (a delete that read it before loses its swap)
    "revert.begin": (frozenset({SnapshotStatus.AVAILABLE}), SnapshotStatus.AVAILABLE),
    # manage: inserted managing by the api; a failure lands error, as Cinder's
    "manage.done": (frozenset({SnapshotStatus.MANAGING}), SnapshotStatus.AVAILABLE),
    "manage.fail": (frozenset({SnapshotStatus.MANAGING}), SnapshotStatus.ERROR),
    # unmanage: the data stays, the row goes; a storage that refuses changed nothing: available again
    "unmanage.begin": (frozenset({SnapshotStatus.AVAILABLE, SnapshotStatus.ERROR}), SnapshotStatus.UNMANAGING),
    "unmanage.done": (frozenset({SnapshotStatus.UNMANAGING}), SnapshotStatus.DELETED),
    "unmanage.fail": (frozenset({SnapshotStatus.UNMANAGING}), SnapshotStatus.AVAILABLE),
}

# os-update_snapshot_status (Nova reporting an assisted snapshot): the status it reports -> the edge it takes
SNAPSHOT_REPORTED: dict[SnapshotStatus, str] = {
    SnapshotStatus.AVAILABLE: "create.done",
    SnapshotStatus.ERROR: "create.fail",
    SnapshotStatus.ERROR_DELETING: "delete.fail",
}

SNAPSHOT_TRANSIENT: dict[SnapshotStatus, str] = {
    SnapshotStatus.CREATING: "create.fail",
    SnapshotStatus.DELETING: "delete.fail",
    SnapshotStatus.MANAGING: "manage.fail",
    SnapshotStatus.UNMANAGING: "unmanage.fail",
}

SNAPSHOT_RECOVERY: dict[SnapshotStatus, Recovery] = {
    SnapshotStatus.CREATING: Recovery.REDO,
    SnapshotStatus.DELETING: Recovery.REDO,
    SnapshotStatus.MANAGING: Recovery.REDO,
    SnapshotStatus.UNMANAGING: Recovery.REDO,
}

# The snapshot operation a transient status belongs to.
SNAPSHOT_WORKING_OPERATION: dict[SnapshotStatus, str] = {
    SnapshotStatus.CREATING: "create", SnapshotStatus.DELETING: "delete", SnapshotStatus.MANAGING: "manage",
    SnapshotStatus.UNMANAGING: "unmanage",
}

SNAPSHOT_OPERATIONS: dict[tuple[str, str], Operation] = {
    ("snapshot", "create"): Operation("snapshot", "create", str(SnapshotStatus.CREATING), "create.done",
                                      "create.fail", Recovery.REDO),
    ("snapshot", "delete"): Operation("snapshot", "delete", str(SnapshotStatus.DELETING), "delete.done",
                                      "delete.fail", Recovery.REDO),
    ("snapshot", "manage"): Operation("snapshot", "manage", str(SnapshotStatus.MANAGING), "manage.done",
                                      "manage.fail", Recovery.REDO),
    ("snapshot", "unmanage"): Operation("snapshot", "unmanage", str(SnapshotStatus.UNMANAGING), "unmanage.done",
                                        "unmanage.fail", Recovery.REDO),
}

SNAPSHOT_RESETTABLE = frozenset({SnapshotStatus.AVAILABLE, SnapshotStatus.ERROR,
                                 SnapshotStatus.ERROR_DELETING, SnapshotStatus.CREATING,
                                 SnapshotStatus.DELETING})


def snapshot_edge(event: str) -> tuple[frozenset[str], str]:
    return plain_edge(SNAPSHOT_TRANSITIONS[event])


def snapshot_recovery_of(status: str) -> tuple[Operation, Recovery]:
    snap_status = SnapshotStatus(status)
    op = SNAPSHOT_OPERATIONS["snapshot", SNAPSHOT_WORKING_OPERATION[snap_status]]
    return op, SNAPSHOT_RECOVERY[snap_status]
