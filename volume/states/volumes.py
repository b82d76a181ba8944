"""A volume's state machine: its statuses, their edges, and what recovery does with each transient one.

The api flips a volume with a ``*.begin`` edge before it casts; the volume service runs the operation
whose working status that is (``VOLUME_OPERATIONS``) and lands it with ``*.done`` or ``*.fail``; recovery
treats what a dead service left in a transient status by the rule ``RECOVERY`` gives it. A volume at rest
follows its attachments (``volume.states.attachments.settled``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from operations.operation import Operation, Recovery


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
    REVERTING = "reverting"
    AWAITING_TRANSFER = "awaiting-transfer"
    MANAGING = "managing"
    ERROR_MANAGING = "error_managing"
    UNMANAGING = "unmanaging"
    ERROR_UNMANAGING = "error_unmanaging"
    RETYPING = "retyping"


Edge = tuple[frozenset[Status], Status]

_DELETABLE = frozenset({Status.AVAILABLE, Status.ERROR, Status.ERROR_EXTENDING,
                        Status.ERROR_RESTORING, Status.ERROR_DELETING})

# event -> (statuses it may start from, status it lands in)
TRANSITIONS: dict[str, Edge] = {
    "create.done": (frozenset({Status.CREATING}), Status.AVAILABLE),
    "create.fail": (frozenset({Status.CREATING}), Status.ERROR),
    "extend.begin": (frozenset({Status.AVAILABLE}), Status.EXTENDING),
    "extend_attached.begin": (frozenset({Status.AVAILABLE, Status.IN_USE}), Status.EXTENDING),
    "extend.done": (frozenset({Status.EXTENDING}), Status.AVAILABLE),
    "extend.fail": (frozenset({Status.EXTENDING}), Status.ERROR_EXTENDING),
    "delete.begin": (_DELETABLE, Status.DELETING),
    "force_delete.begin": (frozenset(Status) - {Status.IN_USE, Status.ATTACHING, Status.DELETING, Status.DELETED},
                           Status.DELETING),
    "delete.done": (frozenset({Status.DELETING}), Status.DELETED),
    "delete.fail": (frozenset({Status.DELETING}), Status.ERROR_DELETING),
    # A snapshot keeps its volume's status (as Cinder does) but still claims it with a version
    # bump, so an extend, delete or attachment change racing the snapshot loses. An in-use volume
    # is snapshotted only when the caller says so (force, or 3.66 on): Nova's assisted and
    # quiesced snapshots of attached volumes need it.
    "snapshot.begin": (frozenset({Status.AVAILABLE}), Status.AVAILABLE),
    "snapshot_in_use.begin": (frozenset({Status.IN_USE}), Status.IN_USE),
    # A clone source stays available too; its version bump orders it against deletes.
    # (landing in AVAILABLE means "at rest": the status the volume's attachments give it, see ``settled``)
    "clone.begin": (frozenset({Status.AVAILABLE, Status.IN_USE}), Status.AVAILABLE),
    # the legacy os-begin_detaching / os-roll_detaching markers (the attachments do not change)
    "detach.begin": (frozenset({Status.IN_USE}), Status.DETACHING),
    "detach.fail": (frozenset({Status.DETACHING}), Status.IN_USE),
    # an in-use volume only with force (the api checks it); it is read through a temporary snapshot, and
    # its landing settles it back to what its attachments say (in-use, or available): its prior status
    "backup.begin": (frozenset({Status.AVAILABLE, Status.IN_USE}), Status.BACKING_UP),
    "backup.done": (frozenset({Status.BACKING_UP}), Status.AVAILABLE),
    "backup.fail": (frozenset({Status.BACKING_UP}), Status.AVAILABLE),
    "restore.begin": (frozenset({Status.AVAILABLE}), Status.RESTORING_BACKUP),
    "restore.done": (frozenset({Status.RESTORING_BACKUP}), Status.AVAILABLE),
    "restore.fail": (frozenset({Status.RESTORING_BACKUP}), Status.ERROR_RESTORING),
    # revert to the latest snapshot (3.40); a failed one leaves the data half-copied: error, as Cinder
    "revert.begin": (frozenset({Status.AVAILABLE}), Status.REVERTING),
    "revert.done": (frozenset({Status.REVERTING}), Status.AVAILABLE),
    "revert.fail": (frozenset({Status.REVERTING}), Status.ERROR),
    "revert.cancel": (frozenset({Status.REVERTING}), Status.AVAILABLE),  # its cast was never delivered
    # offered to another project: at rest, but not attached, extended, snapshotted or deleted meanwhile
    "transfer.begin": (frozenset({Status.AVAILABLE}), Status.AWAITING_TRANSFER),
    "transfer.cancel": (frozenset({Status.AWAITING_TRANSFER}), Status.AVAILABLE),
    "transfer.accept": (frozenset({Status.AWAITING_TRANSFER}), Status.AVAILABLE),
    # manage: the row is inserted managing (api), the storage's data renamed to ember's name (volume service)
    "manage.done": (frozenset({Status.MANAGING}), Status.AVAILABLE),
    "manage.fail": (frozenset({Status.MANAGING}), Status.ERROR_MANAGING),
    # unmanage: the data stays, the row goes with its quota; a delete of an error_managing volume takes this
    # edge too (whatever a failed manage took over is left on the storage, as Cinder leaves it)
    "unmanage.begin": (_DELETABLE - {Status.ERROR_DELETING} | {Status.ERROR_MANAGING, Status.ERROR_UNMANAGING},
                       Status.UNMANAGING),
    "unmanage.done": (frozenset({Status.UNMANAGING}), Status.DELETED),
    "unmanage.fail": (frozenset({Status.UNMANAGING}), Status.ERROR_UNMANAGING),
    # moved to another backend (os-migrate_volume, and os-retype with migration_policy on-demand): held while
    # the source's active copies it, then available where it landed, or where it was when the copy failed.
    # Only available volumes: an attached one needs Nova to swap its data under the guest, and ember has none.
    "migrate.begin": (frozenset({Status.AVAILABLE}), Status.MAINTENANCE),
    "migrate.done": (frozenset({Status.MAINTENANCE}), Status.AVAILABLE),
    "migrate.fail": (frozenset({Status.MAINTENANCE}), Status.AVAILABLE),
    "retype.begin": (frozenset({Status.AVAILABLE}), Status.RETYPING),
    "retype.done": (frozenset({Status.RETYPING}), Status.AVAILABLE),
    "retype.fail": (frozenset({Status.RETYPING}), Status.AVAILABLE),
}

# The fail edge out of each transient status.
TRANSIENT: dict[Status, str] = {
    Status.CREATING: "create.fail",
    Status.EXTENDING: "extend.fail",
    Status.DELETING: "delete.fail",
    Status.DETACHING: "detach.fail",
    Status.BACKING_UP: "backup.fail",
    Status.RESTORING_BACKUP: "restore.fail",
    Status.REVERTING: "revert.fail",
    Status.MANAGING: "manage.fail",
    Status.UNMANAGING: "unmanage.fail",
    Status.MAINTENANCE: "migrate.fail",  # only a migration's (one an admin's reset made is left alone)
    Status.RETYPING: "retype.fail",
}


def _volume_op(name: str, working: Status, recovery: Recovery,
               fail_values: tuple[tuple[str, object], ...] = ()) -> Operation:
    return Operation("volume", name, str(working), f"{name}.done", f"{name}.fail", recovery, fail_values)


# what a migration's failed landing leaves: the volume where it was, its migration_status error
_MIGRATION_FAILED = (("migration_status", "error"), ("migration_host", None), ("migration_type_id", None))


# The volume operations ember-volume runs, by (resource, name).
VOLUME_OPERATIONS: dict[tuple[str, str], Operation] = {
    ("volume", "create"): _volume_op("create", Status.CREATING, Recovery.REDO),
    ("volume", "extend"): _volume_op("extend", Status.EXTENDING, Recovery.REDO),
    ("volume", "delete"): _volume_op("delete", Status.DELETING, Recovery.REDO),
    # not redone: the snapshot reverted to is not kept on the volume's row
    ("volume", "revert"): _volume_op("revert", Status.REVERTING, Recovery.FAIL),
    # redone: a manage interrupted after the storage renamed the data finishes; before, it fails
    ("volume", "manage"): _volume_op("manage", Status.MANAGING, Recovery.REDO),
    ("volume", "unmanage"): _volume_op("unmanage", Status.UNMANAGING, Recovery.REDO),
    # not redone: the successor takes away the half-written copy and the volume stays where it was
    ("volume", "migrate"): _volume_op("migrate", Status.MAINTENANCE, Recovery.FAIL, _MIGRATION_FAILED),
    ("volume", "retype"): _volume_op("retype", Status.RETYPING, Recovery.FAIL, _MIGRATION_FAILED),
}

# The rule for each transient volume status a dead service may leave; a test checks none is missing.
RECOVERY: dict[Status, Recovery] = {
    Status.CREATING: Recovery.REDO,
    Status.EXTENDING: Recovery.REDO,  # to the target size kept on the row (FAIL when it has none)
    Status.DELETING: Recovery.REDO,
    Status.ATTACHING: Recovery.SETTLE,
    Status.DETACHING: Recovery.SETTLE,
    Status.REVERTING: Recovery.FAIL,
    Status.MANAGING: Recovery.REDO,
    Status.UNMANAGING: Recovery.REDO,
    Status.MAINTENANCE: Recovery.FAIL,
    Status.RETYPING: Recovery.FAIL,
}

# Volume statuses a backup's operation holds: the volume service never recovers them; the backup
# service that takes over the backup lands its volume with it (BACKUP_RECOVERY).
HELD_BY_BACKUP = frozenset({Status.BACKING_UP, Status.RESTORING_BACKUP})

# The operation a transient status belongs to, for messages ("the extend was stopped by ...").
WORKING_OPERATION: dict[Status, str] = {
    Status.CREATING: "create", Status.EXTENDING: "extend", Status.DELETING: "delete", Status.ATTACHING: "attach",
    Status.DETACHING: "detach", Status.BACKING_UP: "backup", Status.RESTORING_BACKUP: "restore",
    Status.REVERTING: "revert", Status.MANAGING: "manage", Status.UNMANAGING: "unmanage",
    Status.REVERTING: "revert", Status.MAINTENANCE: "migrate", Status.RETYPING: "retype",
}

# Statuses an admin may set with os-reset_status.
RESETTABLE = frozenset({Status.AVAILABLE, Status.ERROR, Status.IN_USE, Status.ERROR_DELETING,
                        Status.ERROR_EXTENDING, Status.CREATING, Status.DELETING, Status.EXTENDING,
                        Status.MAINTENANCE, Status.ERROR_RESTORING})


def plain_edge(sources_and_target: tuple[frozenset[Any], Any]) -> tuple[frozenset[str], str]:
    """An edge of any kind's table as plain strings, the form ``db`` takes."""
    sources, target = sources_and_target
    return frozenset(str(s) for s in sources), str(target)


def edge(event: str) -> tuple[frozenset[str], str]:
    """The (sources, target) of the volume's ``event`` as plain strings."""
    return plain_edge(TRANSITIONS[event])


def volume_recovery_of(status: str) -> tuple[Operation, Recovery]:
    """The operation a transient volume ``status`` belongs to, and what recovery does with it.

    Statuses of operations ember-volume does not run itself yet (attach, backup, ...) get an
    operation that can only fail.
    """
    volume_status = Status(status)
    name = WORKING_OPERATION[volume_status]
    op = VOLUME_OPERATIONS.get(("volume", name)) or Operation(
        "volume", name, status, f"{name}.done", TRANSIENT.get(volume_status, ""), Recovery.FAIL)
    return op, RECOVERY[volume_status]


class MigrationStatus(StrEnum):
    """A volume's ``migration_status``: Cinder's values, as a migration goes (``volume/migration.py``)."""

    STARTING = "starting"
    MIGRATING = "migrating"
    COMPLETING = "completing"
    SUCCESS = "success"
    ERROR = "error"
    NONE = "none"  # os-reset_status only: clears the column


# Volume statuses a new attachment may be reserved from: only ``available`` unless multiattach.
RESERVABLE = frozenset({Status.AVAILABLE})
RESERVABLE_MULTIATTACH = frozenset({Status.AVAILABLE, Status.RESERVED, Status.ATTACHING, Status.IN_USE})
