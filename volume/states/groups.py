"""Generic volume groups and group snapshots: statuses and edges; a group snapshot's members move with it."""

from __future__ import annotations

from enum import StrEnum

from operations.operation import Operation, Recovery
from volume.states.snapshots import SnapshotStatus
from volume.states.volumes import Status, plain_edge


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
    return plain_edge(GROUP_TRANSITIONS[event])


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
GROUP_SNAPSHOT_OPERATIONS: dict[tuple[str, str], Operation] = {
    ("group_snapshot", "create"): Operation("group_snapshot", "create", str(GroupSnapshotStatus.CREATING),
                                            "create.done", "create.fail", Recovery.FAIL),
    ("group_snapshot", "delete"): Operation("group_snapshot", "delete", str(GroupSnapshotStatus.DELETING),
                                            "delete.done", "delete.fail", Recovery.REDO),
}
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
    return plain_edge(GROUP_SNAPSHOT_TRANSITIONS[event])


def group_snapshot_members(event: str) -> tuple[frozenset[str], str, bool]:
    sources, target, destroy = GROUP_SNAPSHOT_MEMBERS[event]
    return (*plain_edge((sources, target)), destroy)


def group_snapshot_recovery_of(status: str) -> tuple[Operation, Recovery]:
    rule = GROUP_SNAPSHOT_RECOVERY[GroupSnapshotStatus(status)]
    name = "create" if status == GroupSnapshotStatus.CREATING else "delete"
    return GROUP_SNAPSHOT_OPERATIONS["group_snapshot", name], rule
