"""The volume and snapshot state machines: tables, no I/O.

No other module writes a status literal. The api flips a resource with a ``*.begin``
edge before it casts; the manager runs the operation whose working status that is
(``OPERATIONS``) and lands it with ``*.done`` or ``*.fail``; recovery treats what a dead
service left in a transient status by the rule ``RECOVERY`` gives it. The other statuses
the API shows (attach, migration, service) are listed at the end, then the attachments' own
table: a volume's status at rest follows its attachments (``settled``), computed in every
transaction that changes one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from enum import StrEnum

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


# Every operation ember-volume runs, by (resource, name).
OPERATIONS: dict[tuple[str, str], Operation] = {
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

OPERATIONS.update({
    ("attachment", "connect"): Operation("attachment", "connect", "connecting", "connect.done", "connect.fail",
                                         Recovery.FAIL),
    ("attachment", "disconnect"): Operation("attachment", "disconnect", "detaching", "disconnect.done",
                                            "disconnect.fail", Recovery.REDO),
    ("snapshot", "create"): Operation("snapshot", "create", str(SnapshotStatus.CREATING), "create.done",
                                      "create.fail", Recovery.REDO),
    ("snapshot", "delete"): Operation("snapshot", "delete", str(SnapshotStatus.DELETING), "delete.done",
                                      "delete.fail", Recovery.REDO),
    ("snapshot", "manage"): Operation("snapshot", "manage", str(SnapshotStatus.MANAGING), "manage.done",
                                      "manage.fail", Recovery.REDO),
    ("snapshot", "unmanage"): Operation("snapshot", "unmanage", str(SnapshotStatus.UNMANAGING), "unmanage.done",
                                        "unmanage.fail", Recovery.REDO),
})

SNAPSHOT_RESETTABLE = frozenset({SnapshotStatus.AVAILABLE, SnapshotStatus.ERROR,
                                 SnapshotStatus.ERROR_DELETING, SnapshotStatus.CREATING,
                                 SnapshotStatus.DELETING})


def snapshot_edge(event: str) -> tuple[frozenset[str], str]:
    sources, target = SNAPSHOT_TRANSITIONS[event]
    return frozenset(str(s) for s in sources), str(target)


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
    """A volume's ``migration_status``: Cinder's values, as a migration goes (``volume/migration.py``)."""

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


def volume_recovery_of(status: str) -> tuple[Operation, Recovery]:
    """The operation a transient volume ``status`` belongs to, and what recovery does with it.

    Statuses of operations ember-volume does not run itself yet (attach, backup, ...) get an
    operation that can only fail.
    """
    volume_status = Status(status)
    name = WORKING_OPERATION[volume_status]
    op = OPERATIONS.get(("volume", name)) or Operation("volume", name, status, f"{name}.done",
                                                        TRANSIENT.get(volume_status, ""), Recovery.FAIL)
    return op, RECOVERY[volume_status]


def snapshot_recovery_of(status: str) -> tuple[Operation, Recovery]:
    snap_status = SnapshotStatus(status)
    return OPERATIONS["snapshot", SNAPSHOT_WORKING_OPERATION[snap_status]], SNAPSHOT_RECOVERY[snap_status]


def attachment_recovery_of(status: str) -> tuple[Operation, Recovery]:
    op = OPERATIONS["attachment", "connect" if status == AttachmentStatus.CONNECTING else "disconnect"]
    return op, ATTACHMENT_RECOVERY[AttachmentStatus(status)]


def recovery_of(resource: str, status: str) -> tuple[Operation, Recovery]:
    """The operation a transient ``status`` of ``resource`` belongs to, and what recovery does with it."""
    return _RECOVERY_OF[resource](status)


_RECOVERY_OF: dict[str, Callable[[str], tuple[Operation, Recovery]]] = {
    "volume": volume_recovery_of, "snapshot": snapshot_recovery_of, "attachment": attachment_recovery_of}


# -- attachments ---------------------------------------------------------------------------------

class AttachmentStatus(StrEnum):
    """An attachment's own status. The API shows Cinder's names (``shown_attachment_status``)."""

    RESERVED = "reserved"        # a place held for an instance; no connector yet
    # a place held by the legacy os-reserve: its volume shows attaching, as Cinder's os-reserve leaves it
    # (shown: reserved)
    LEGACY_RESERVED = "legacy_reserved"
    CONNECTING = "connecting"    # the volume service exports the volume to the connector (shown: attaching)
    ATTACHING = "attaching"      # connection_info handed out; the host has not called os-complete yet
    ATTACHED = "attached"
    DETACHING = "detaching"      # the volume service ends the connection (and the export, for the last one)
    DETACHED = "detached"        # the status of a soft-deleted row


# event -> (statuses it may start from, status it lands in)
ATTACHMENT_TRANSITIONS: dict[str, tuple[frozenset[AttachmentStatus], AttachmentStatus]] = {
    "connect.begin": (frozenset({AttachmentStatus.RESERVED, AttachmentStatus.LEGACY_RESERVED,
                                 AttachmentStatus.ATTACHING}), AttachmentStatus.CONNECTING),
    "connect.done": (frozenset({AttachmentStatus.CONNECTING}), AttachmentStatus.ATTACHING),
    "connect.fail": (frozenset({AttachmentStatus.CONNECTING}), AttachmentStatus.RESERVED),
    "complete": (frozenset({AttachmentStatus.ATTACHING}), AttachmentStatus.ATTACHED),
    # legacy os-attach: the host says it attached, whether or not it asked for a connection first
    "mark_attached": (frozenset({AttachmentStatus.RESERVED, AttachmentStatus.LEGACY_RESERVED,
                                 AttachmentStatus.ATTACHING}), AttachmentStatus.ATTACHED),
    # a connecting attachment only once its holder is dead (the claim is revoked in the same transaction)
    "disconnect.begin": (frozenset({AttachmentStatus.CONNECTING, AttachmentStatus.ATTACHING,
                                    AttachmentStatus.ATTACHED, AttachmentStatus.DETACHING}),
                         AttachmentStatus.DETACHING),
    "disconnect.done": (frozenset({AttachmentStatus.DETACHING}), AttachmentStatus.DETACHED),
    # the storage refused to end the connection: it holds, and the user may delete the attachment again
    "disconnect.fail": (frozenset({AttachmentStatus.DETACHING}), AttachmentStatus.ATTACHED),
    # an attachment that never got a connection is deleted at once
    "unreserve": (frozenset({AttachmentStatus.RESERVED, AttachmentStatus.LEGACY_RESERVED}),
                  AttachmentStatus.DETACHED),
}

# Reservations: attachments without a connection (deleting one needs no volume service).
ATTACHMENT_RESERVATIONS = ATTACHMENT_TRANSITIONS["unreserve"][0]

# What a successor does with an attachment a dead volume service left mid-way.
ATTACHMENT_RECOVERY: dict[AttachmentStatus, Recovery] = {
    AttachmentStatus.CONNECTING: Recovery.FAIL,   # back to reserved: the host asks again (it got a 503)
    AttachmentStatus.DETACHING: Recovery.REDO,    # ending a connection and an export is idempotent
}

# Attachments that hold the volume's connection (the export stays while one exists). Each also keeps its
# host's access while it has connection_info: os-terminate_connection clears that (the host's access is
# gone and nothing gives it back) and leaves the status to os-detach, Cinder's order.
ATTACHMENT_CONNECTED = frozenset({AttachmentStatus.ATTACHING, AttachmentStatus.ATTACHED,
                                  AttachmentStatus.DETACHING})

# Connected and never completed (os-complete): past attachment_unfinished_after_s the active reports it (a
# user message, and the admins' workers/cleanup answer); only a request removes it, never a timer: its host
# may be using the volume. A reservation (no connector) holds no access and is left alone, as in Cinder:
# Nova keeps one for as long as a shelved-offloaded server exists.
ATTACHMENT_UNFINISHED = frozenset({AttachmentStatus.ATTACHING})


def attachment_edge(event: str) -> tuple[frozenset[str], str]:
    sources, target = ATTACHMENT_TRANSITIONS[event]
    return frozenset(str(s) for s in sources), str(target)


# Statuses of ours the API shows by one of Cinder's names.
_SHOWN_AS: dict[str, str] = {AttachmentStatus.CONNECTING: AttachmentStatus.ATTACHING,
                             AttachmentStatus.LEGACY_RESERVED: AttachmentStatus.RESERVED}


def shown_attachment_status(status: str) -> str:
    return _SHOWN_AS.get(status, status)


# the statuses the API shows
SHOWN_ATTACHMENT_STATUSES = frozenset(str(s) for s in AttachmentStatus) - {str(s) for s in _SHOWN_AS}


def stored_attachment_statuses(shown: str) -> list[str]:
    """The statuses of ours a status the API shows stands for (its inverse of ``shown_attachment_status``)."""
    return sorted(s for s in (str(a) for a in AttachmentStatus) if shown_attachment_status(s) == shown)


# The volume statuses that follow the volume's attachments; any other (extending, error, ...) is left
# alone by attachment changes and comes back to these through its own done edge.
SETTLED = frozenset({Status.AVAILABLE, Status.RESERVED, Status.ATTACHING, Status.IN_USE, Status.DETACHING})


# A volume at rest shows its busiest attachment: the first row that names one of its attachments'
# statuses gives its (status, attach_status); with no live attachment it is available, detached.
SETTLE_ORDER: tuple[tuple[frozenset[AttachmentStatus], Status, AttachStatus], ...] = (
    (frozenset({AttachmentStatus.DETACHING}), Status.DETACHING, AttachStatus.DETACHING),
    (frozenset({AttachmentStatus.ATTACHED}), Status.IN_USE, AttachStatus.ATTACHED),
    (frozenset({AttachmentStatus.CONNECTING, AttachmentStatus.ATTACHING}), Status.ATTACHING,
     AttachStatus.ATTACHING),
    # Cinder's os-reserve moves the volume to attaching and leaves its attach_status alone
    (frozenset({AttachmentStatus.LEGACY_RESERVED}), Status.ATTACHING, AttachStatus.DETACHED),
    (frozenset({AttachmentStatus.RESERVED}), Status.RESERVED, AttachStatus.RESERVED),
)
AT_REST_UNATTACHED = (Status.AVAILABLE, AttachStatus.DETACHED)


def settled(attachment_statuses: Iterable[str]) -> tuple[Status, AttachStatus]:
    """The (status, attach_status) a volume at rest has with attachments in these statuses."""
    present = set(attachment_statuses)
    for statuses, status, attach_status in SETTLE_ORDER:
        if present & statuses:
            return status, attach_status
    return AT_REST_UNATTACHED


# Volume statuses a new attachment may be reserved from: only ``available`` unless multiattach.
RESERVABLE = frozenset({Status.AVAILABLE})
RESERVABLE_MULTIATTACH = frozenset({Status.AVAILABLE, Status.RESERVED, Status.ATTACHING, Status.IN_USE})


# -- backups ---------------------------------------------------------------------------------------

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
    sources, target = BACKUP_TRANSITIONS[event]
    return frozenset(str(s) for s in sources), str(target)


def backup_recovery_of(status: str) -> tuple[Operation, Recovery]:
    backup_status = BackupStatus(status)
    name = {BackupStatus.CREATING: "create", BackupStatus.RESTORING: "restore"}.get(backup_status, "delete")
    return BACKUP_OPERATIONS[name], BACKUP_RECOVERY[backup_status]


def plain_edges(edges: tuple[Edge, ...]) -> tuple[tuple[frozenset[str], str], ...]:
    return tuple((frozenset(str(s) for s in sources), str(target)) for sources, target in edges)


# -- generic volume groups -------------------------------------------------------------------------

class GroupStatus(StrEnum):
    CREATING = "creating"
    AVAILABLE = "available"
    UPDATING = "updating"
    IN_USE = "in-use"
    ERROR = "error"
    DELETING = "deleting"
    ERROR_DELETING = "error_deleting"
    DELETED = "deleted"


GROUP_TRANSITIONS: dict[str, tuple[frozenset[GroupStatus], GroupStatus]] = {
    # adding or removing volumes, renaming: one transaction that keeps the status and bumps the version
    "update": (frozenset({GroupStatus.AVAILABLE}), GroupStatus.AVAILABLE),
    # the group goes once its volumes' deletes are accepted (each volume then deletes on its own)
    "delete": (frozenset({GroupStatus.AVAILABLE, GroupStatus.ERROR}), GroupStatus.DELETED),
    # with delete-volumes Cinder takes the group in any status
    "delete_with_volumes": (frozenset(GroupStatus) - {GroupStatus.DELETED}, GroupStatus.DELETED),
}
# what an admin may set with reset_status (3.20): Cinder's group statuses but deleted
GROUP_RESETTABLE = frozenset(GroupStatus) - {GroupStatus.DELETED}
# Cinder's VALID_ADD_VOL_TO_GROUP_STATUS and VALID_REMOVE_VOL_FROM_GROUP_STATUS
GROUP_ADDABLE_VOLUME = frozenset({Status.AVAILABLE, Status.IN_USE})
GROUP_REMOVABLE_VOLUME = frozenset({Status.AVAILABLE, Status.IN_USE, Status.ERROR, Status.ERROR_DELETING})


def group_edge(event: str) -> tuple[frozenset[str], str]:
    sources, target = GROUP_TRANSITIONS[event]
    return frozenset(str(s) for s in sources), str(target)


class GroupSnapshotStatus(StrEnum):
    CREATING = "creating"
    AVAILABLE = "available"
    ERROR = "error"
    DELETING = "deleting"
    ERROR_DELETING = "error_deleting"
    DELETED = "deleted"


# A group snapshot's members (one snapshot per volume of the group) move with it, in its transaction:
# created together or not at all (a failed create removes the ones made), deleted together.
GROUP_SNAPSHOT_TRANSITIONS: dict[str, tuple[frozenset[GroupSnapshotStatus], GroupSnapshotStatus]] = {
    "create.done": (frozenset({GroupSnapshotStatus.CREATING}), GroupSnapshotStatus.AVAILABLE),
    "create.fail": (frozenset({GroupSnapshotStatus.CREATING}), GroupSnapshotStatus.ERROR),
    "delete.begin": (frozenset({GroupSnapshotStatus.AVAILABLE, GroupSnapshotStatus.ERROR,
                                GroupSnapshotStatus.ERROR_DELETING}), GroupSnapshotStatus.DELETING),
    "delete.done": (frozenset({GroupSnapshotStatus.DELETING}), GroupSnapshotStatus.DELETED),
    "delete.fail": (frozenset({GroupSnapshotStatus.DELETING}), GroupSnapshotStatus.ERROR_DELETING),
    # a group created from it claims it with a version bump, as a snapshot cloned from
    "clone.begin": (frozenset({GroupSnapshotStatus.AVAILABLE}), GroupSnapshotStatus.AVAILABLE),
}
# What recovery does: a create cut short is failed (its members' driver snapshots removed first: taken
# again later they would not be of one point in time); a delete is redone (idempotent).
GROUP_SNAPSHOT_RECOVERY: dict[GroupSnapshotStatus, Recovery] = {
    GroupSnapshotStatus.CREATING: Recovery.FAIL,
    GroupSnapshotStatus.DELETING: Recovery.REDO,
}
OPERATIONS.update({
    ("group_snapshot", "create"): Operation("group_snapshot", "create", str(GroupSnapshotStatus.CREATING),
                                            "create.done", "create.fail", Recovery.FAIL),
    ("group_snapshot", "delete"): Operation("group_snapshot", "delete", str(GroupSnapshotStatus.DELETING),
                                            "delete.done", "delete.fail", Recovery.REDO),
})
# reset_status (3.19): Cinder's group snapshot statuses but deleted
GROUP_SNAPSHOT_RESETTABLE = frozenset(GroupSnapshotStatus) - {GroupSnapshotStatus.DELETED}
# the member snapshots' edge as their group snapshot takes one: (sources, target, removed with it)
GROUP_SNAPSHOT_MEMBERS: dict[str, tuple[frozenset[SnapshotStatus], SnapshotStatus, bool]] = {
    "create.done": (frozenset({SnapshotStatus.CREATING}), SnapshotStatus.AVAILABLE, False),
    "create.fail": (frozenset({SnapshotStatus.CREATING}), SnapshotStatus.DELETED, True),
    "delete.begin": (frozenset(SnapshotStatus) - {SnapshotStatus.DELETED}, SnapshotStatus.DELETING, False),
    "delete.done": (frozenset({SnapshotStatus.DELETING}), SnapshotStatus.DELETED, True),
    "delete.fail": (frozenset({SnapshotStatus.DELETING}), SnapshotStatus.ERROR_DELETING, False),
    # an admin's reset of the group snapshot leaves its members as they are
}


def group_snapshot_edge(event: str) -> tuple[frozenset[str], str]:
    sources, target = GROUP_SNAPSHOT_TRANSITIONS[event]
    return frozenset(str(s) for s in sources), str(target)


def group_snapshot_members(event: str) -> tuple[frozenset[str], str, bool]:
    sources, target, destroy = GROUP_SNAPSHOT_MEMBERS[event]
    return frozenset(str(s) for s in sources), str(target), destroy


def group_snapshot_recovery_of(status: str) -> tuple[Operation, Recovery]:
    rule = GROUP_SNAPSHOT_RECOVERY[GroupSnapshotStatus(status)]
    name = "create" if status == GroupSnapshotStatus.CREATING else "delete"
    return OPERATIONS["group_snapshot", name], rule


_RECOVERY_OF["group_snapshot"] = group_snapshot_recovery_of
