"""The volume and snapshot state machines: tables, no I/O.

No other module writes a status literal. The api flips a resource with a ``*.begin``
edge before it casts; the manager runs the operation whose working status that is
(``OPERATIONS``) and lands it with ``*.done`` or ``*.fail``; recovery treats what a dead
service left in a transient status by the rule ``RECOVERY`` gives it. The other statuses
the API shows (attach, migration, service) are listed at the end.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    CREATING = "creating"
    AVAILABLE = "available"
    ERROR = "error"
    EXTENDING = "extending"
    ERROR_EXTENDING = "error_extending"
    DELETING = "deleting"
    ERROR_DELETING = "error_deleting"
    DELETED = "deleted"  # the status of a soft-deleted row
    IN_USE = "in-use"
    ATTACHING = "attaching"
    DETACHING = "detaching"
    RESERVED = "reserved"
    MAINTENANCE = "maintenance"
    BACKING_UP = "backing-up"
    RESTORING_BACKUP = "restoring-backup"
    ERROR_RESTORING = "error_restoring"


Edge = tuple[frozenset[Status], Status]

_DELETABLE = frozenset({Status.AVAILABLE, Status.ERROR, Status.ERROR_EXTENDING,
                        Status.ERROR_RESTORING, Status.ERROR_DELETING})

# event -> (statuses it may start from, status it lands in)
TRANSITIONS: dict[str, Edge] = {
    "create.done": (frozenset({Status.CREATING}), Status.AVAILABLE),
    "create.fail": (frozenset({Status.CREATING}), Status.ERROR),
    "extend.begin": (frozenset({Status.AVAILABLE}), Status.EXTENDING),
    "extend.done": (frozenset({Status.EXTENDING}), Status.AVAILABLE),
    "extend.fail": (frozenset({Status.EXTENDING}), Status.ERROR_EXTENDING),
    "delete.begin": (_DELETABLE, Status.DELETING),
    "force_delete.begin": (frozenset(Status) - {Status.IN_USE, Status.ATTACHING, Status.DELETING, Status.DELETED},
                           Status.DELETING),
    "delete.done": (frozenset({Status.DELETING}), Status.DELETED),
    "delete.fail": (frozenset({Status.DELETING}), Status.ERROR_DELETING),
    # A snapshot keeps its volume ``available`` (as Cinder does) but still claims it with a
    # version bump, so an extend or delete racing the snapshot loses.
    "snapshot.begin": (frozenset({Status.AVAILABLE}), Status.AVAILABLE),
    # A clone source stays available too; its version bump orders it against deletes.
    "clone.begin": (frozenset({Status.AVAILABLE, Status.IN_USE}), Status.AVAILABLE),
    "attach.reserve": (frozenset({Status.AVAILABLE}), Status.RESERVED),
    "attach.begin": (frozenset({Status.RESERVED}), Status.ATTACHING),
    "attach.done": (frozenset({Status.ATTACHING, Status.RESERVED}), Status.IN_USE),
    "attach.fail": (frozenset({Status.ATTACHING, Status.RESERVED}), Status.AVAILABLE),
    "detach.begin": (frozenset({Status.IN_USE}), Status.DETACHING),
    "detach.done": (frozenset({Status.DETACHING}), Status.AVAILABLE),
    "detach.fail": (frozenset({Status.DETACHING}), Status.IN_USE),
    "backup.begin": (frozenset({Status.AVAILABLE}), Status.BACKING_UP),
    "backup.done": (frozenset({Status.BACKING_UP}), Status.AVAILABLE),
    "backup.fail": (frozenset({Status.BACKING_UP}), Status.AVAILABLE),
    "restore.begin": (frozenset({Status.AVAILABLE}), Status.RESTORING_BACKUP),
    "restore.done": (frozenset({Status.RESTORING_BACKUP}), Status.AVAILABLE),
    "restore.fail": (frozenset({Status.RESTORING_BACKUP}), Status.ERROR_RESTORING),
}

# The fail edge out of each transient status.
TRANSIENT: dict[Status, str] = {
    Status.CREATING: "create.fail",
    Status.EXTENDING: "extend.fail",
    Status.DELETING: "delete.fail",
    Status.ATTACHING: "attach.fail",
    Status.DETACHING: "detach.fail",
    Status.BACKING_UP: "backup.fail",
    Status.RESTORING_BACKUP: "restore.fail",
}


class Recovery(StrEnum):
    """What a successor does with an operation it finds unfinished (its service died)."""

    REDO = "redo"  # run it again: the driver call is idempotent (an existing volume, a missing file: success)
    FAIL = "fail"  # land its fail edge and leave the user a message saying why


@dataclass(frozen=True)
class Operation:
    """An operation a volume service runs: the status it runs in and the edges that land it."""

    resource: str       # "volume" or "snapshot"
    name: str
    working: str        # the status its *.begin edge left the resource in
    done: str
    fail: str
    recovery: Recovery


def _volume_op(name: str, working: Status, recovery: Recovery) -> Operation:
    return Operation("volume", name, str(working), f"{name}.done", f"{name}.fail", recovery)


# Every operation ember-volume runs, by (resource, name).
OPERATIONS: dict[tuple[str, str], Operation] = {
    ("volume", "create"): _volume_op("create", Status.CREATING, Recovery.REDO),
    ("volume", "extend"): _volume_op("extend", Status.EXTENDING, Recovery.REDO),
    ("volume", "delete"): _volume_op("delete", Status.DELETING, Recovery.REDO),
}

# The rule for each transient volume status a dead service may leave; a test checks none is missing.
RECOVERY: dict[Status, Recovery] = {
    Status.CREATING: Recovery.REDO,
    Status.EXTENDING: Recovery.REDO,  # to the target size kept on the row (FAIL when it has none)
    Status.DELETING: Recovery.REDO,
    Status.ATTACHING: Recovery.FAIL,
    Status.DETACHING: Recovery.FAIL,
    Status.BACKING_UP: Recovery.FAIL,
    Status.RESTORING_BACKUP: Recovery.FAIL,
}

# The operation a transient status belongs to, for messages ("the extend was stopped by ...").
WORKING_OPERATION: dict[Status, str] = {
    Status.CREATING: "create", Status.EXTENDING: "extend", Status.DELETING: "delete", Status.ATTACHING: "attach",
    Status.DETACHING: "detach", Status.BACKING_UP: "backup", Status.RESTORING_BACKUP: "restore",
}

# Statuses an admin may set with os-reset_status.
RESETTABLE = frozenset({Status.AVAILABLE, Status.ERROR, Status.IN_USE, Status.ERROR_DELETING,
                        Status.ERROR_EXTENDING, Status.CREATING, Status.DELETING, Status.EXTENDING,
                        Status.MAINTENANCE, Status.ERROR_RESTORING})


def edge(event: str) -> tuple[frozenset[str], str]:
    """The (sources, target) of ``event`` as plain strings, the form ``db`` takes."""
    sources, target = TRANSITIONS[event]
    return frozenset(str(s) for s in sources), str(target)


class SnapshotStatus(StrEnum):
    CREATING = "creating"
    AVAILABLE = "available"
    ERROR = "error"
    DELETING = "deleting"
    ERROR_DELETING = "error_deleting"
    DELETED = "deleted"


SNAPSHOT_TRANSITIONS: dict[str, tuple[frozenset[SnapshotStatus], SnapshotStatus]] = {
    "create.done": (frozenset({SnapshotStatus.CREATING}), SnapshotStatus.AVAILABLE),
    "create.fail": (frozenset({SnapshotStatus.CREATING}), SnapshotStatus.ERROR),
    "delete.begin": (frozenset({SnapshotStatus.AVAILABLE, SnapshotStatus.ERROR,
                                SnapshotStatus.ERROR_DELETING}), SnapshotStatus.DELETING),
    "force_delete.begin": (frozenset(SnapshotStatus) - {SnapshotStatus.DELETING, SnapshotStatus.DELETED},
                           SnapshotStatus.DELETING),
    "delete.done": (frozenset({SnapshotStatus.DELETING}), SnapshotStatus.DELETED),
    "delete.fail": (frozenset({SnapshotStatus.DELETING}), SnapshotStatus.ERROR_DELETING),
    # a snapshot used as a clone source is claimed with a version bump, as volumes are
    "clone.begin": (frozenset({SnapshotStatus.AVAILABLE}), SnapshotStatus.AVAILABLE),
}

SNAPSHOT_TRANSIENT: dict[SnapshotStatus, str] = {
    SnapshotStatus.CREATING: "create.fail",
    SnapshotStatus.DELETING: "delete.fail",
}

SNAPSHOT_RECOVERY: dict[SnapshotStatus, Recovery] = {
    SnapshotStatus.CREATING: Recovery.REDO,
    SnapshotStatus.DELETING: Recovery.REDO,
}

OPERATIONS.update({
    ("snapshot", "create"): Operation("snapshot", "create", str(SnapshotStatus.CREATING), "create.done",
                                      "create.fail", Recovery.REDO),
    ("snapshot", "delete"): Operation("snapshot", "delete", str(SnapshotStatus.DELETING), "delete.done",
                                      "delete.fail", Recovery.REDO),
})

SNAPSHOT_RESETTABLE = frozenset({SnapshotStatus.AVAILABLE, SnapshotStatus.ERROR,
                                 SnapshotStatus.ERROR_DELETING, SnapshotStatus.CREATING,
                                 SnapshotStatus.DELETING})


def snapshot_edge(event: str) -> tuple[frozenset[str], str]:
    sources, target = SNAPSHOT_TRANSITIONS[event]
    return frozenset(str(s) for s in sources), str(target)


def edge_of(resource: str, event: str) -> tuple[frozenset[str], str]:
    """``edge`` for volumes, ``snapshot_edge`` for snapshots."""
    return snapshot_edge(event) if resource == "snapshot" else edge(event)


class AttachStatus(StrEnum):
    """A volume's ``attach_status``: Cinder's values."""

    ATTACHED = "attached"
    DETACHED = "detached"
    RESERVED = "reserved"
    ATTACHING = "attaching"
    DETACHING = "detaching"
    ERROR_ATTACHING = "error_attaching"
    ERROR_DETACHING = "error_detaching"


# attach_status values an admin may set with os-reset_status (as in Cinder).
ATTACH_RESETTABLE = frozenset({AttachStatus.ATTACHED, AttachStatus.DETACHED})


class MigrationStatus(StrEnum):
    """A volume's ``migration_status`` as an admin may reset it; ember itself does not migrate."""

    STARTING = "starting"
    MIGRATING = "migrating"
    COMPLETING = "completing"
    SUCCESS = "success"
    ERROR = "error"
    NONE = "none"  # os-reset_status only: clears the column


class ServiceStatus(StrEnum):
    """Whether an admin lets a service take work (``os-services`` ``status``)."""

    ENABLED = "enabled"
    DISABLED = "disabled"


# a volume service's HA role (os-services ``ha_role``)
ACTIVE = "active"
STANDBY = "standby"


class ServiceState(StrEnum):
    """Whether a service's heartbeat is recent (``os-services`` ``state``)."""

    UP = "up"
    DOWN = "down"


def recovery_of(resource: str, status: str) -> tuple[Operation, Recovery]:
    """The operation a transient ``status`` belongs to, and what recovery does with it.

    Statuses of operations ember-volume does not run itself yet (attach, backup, ...) get an
    operation that can only fail.
    """
    if resource == "snapshot":
        snap_status = SnapshotStatus(status)
        op = OPERATIONS["snapshot", "delete" if snap_status is SnapshotStatus.DELETING else "create"]
        return op, SNAPSHOT_RECOVERY[snap_status]
    volume_status = Status(status)
    name = WORKING_OPERATION[volume_status]
    op = OPERATIONS.get(("volume", name)) or Operation("volume", name, status, f"{name}.done",
                                                        TRANSIENT[volume_status], Recovery.FAIL)
    return op, RECOVERY[volume_status]
