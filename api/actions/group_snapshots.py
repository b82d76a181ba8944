"""Group snapshots on the api side: one snapshot of each volume of a group, taken together.

The request claims the group and each volume by version in one transaction (db.group_snapshot_create):
an extend, delete or group change that raced it either made this request fail (400, nothing made) or
fails itself. The group's backend then takes every member snapshot in one operation; if one fails the
others are removed and the group snapshot ends in error with a user message.
"""

from __future__ import annotations

import logging

from api.actions import disclosure
from api.actions import groups as group_actions
from api.actions.volumes import require_thawed
from api.request import ApiCall
from db import api as db
from db.records import GroupSnapshot
from rpc.errors import ServiceUnavailable
from volume.client import VolumeClient
from volume.errors import InvalidRequest, VolumeStateConflict
from volume.states.groups import GroupSnapshotStatus, group_edge, group_snapshot_edge, group_snapshot_members
from volume.states.snapshots import SnapshotStatus
from volume.states.volumes import Status

log = logging.getLogger(__name__)

SNAPSHOTTABLE = frozenset({str(Status.AVAILABLE), str(Status.IN_USE)})
MAX_REASON = 255


def get(call: ApiCall, group_snapshot_id: str) -> GroupSnapshot:
    return db.group_snapshot_get(group_snapshot_id, project_id=call.scope_project())


def create(call: ApiCall, *, group_id: str, name: str | None, description: str | None) -> GroupSnapshot:
    group = group_actions.get(call, group_id)
    claim = group_edge("update")
    if group.status not in claim[0]:
        raise VolumeStateConflict("group", group.id, "snapshot it", claim[0], group.status)
    volumes = db.group_volumes([group.id])[group.id]
    for volume in volumes:
        if volume.status not in SNAPSHOTTABLE:
            raise InvalidRequest(f"Invalid volume: volume {volume.id} of group {group.id} is {volume.status}; a "
                                 "group snapshot takes volumes that are available or in-use.")
    backends = {v.backend_host for v in volumes}
    if len(backends) > 1 or None in backends:
        raise InvalidRequest(f"Invalid group: the volumes of group {group.id} are not all on one backend.")
    backend_host = next(iter(backends)) if backends else None
    require_thawed(call, backend_host)
    created, members = db.group_snapshot_create(
        project_id=group.project_id, user_id=call.ctx.user_id, group_id=group.id, group_version=group.version,
        group_claim=claim, volumes=[(v.id, v.version) for v in volumes], volume_sources=SNAPSHOTTABLE,
        name=name, description=description, status=GroupSnapshotStatus.CREATING,
        member_status=SnapshotStatus.CREATING, host=backend_host, quota_defaults=call.settings.quota_defaults)
    log.info("group snapshot %s: of group %s, %d member(s)", created.id, group.id, len(members))
    if backend_host is None:  # an empty group: nothing to take on any backend
        _land(created.id, "create.done")
        return created
    try:
        VolumeClient().create_group_snapshot(call.ctx, backend_host, group_snapshot_id=created.id)
    except ServiceUnavailable as error:
        log.warning("group snapshot %s: could not ask for it: %s", created.id, error.detail)
        _land(created.id, "create.fail", status_reason=str(error)[:MAX_REASON])
        raise disclosure.unavailable(call, error) from error
    return created


def _land(group_snapshot_id: str, event: str, **values: object) -> None:
    db.transition("group_snapshot", group_snapshot_id, group_snapshot_edge(event),
                  effects=db.Effects(values=values, members=(group_snapshot_members(event),),
                                     destroy=event == "delete.done"))


def delete(call: ApiCall, group_snapshot_id: str) -> None:
    group_snapshot = get(call, group_snapshot_id)
    sources, _ = begin = group_snapshot_edge("delete.begin")
    if group_snapshot.status not in sources:
        raise InvalidRequest(f"Invalid group snapshot: group snapshot status must be available or error, and no "
                             f"group may be being created from it; it is {group_snapshot.status}.")
    for member in db.group_snapshot_members(group_snapshot.id):
        if db.volume_count(project_id=None, filters={"snapshot_id": member.id, "status": str(Status.CREATING)}):
            raise InvalidRequest(f"Invalid group snapshot: a volume is being created from its member snapshot "
                                 f"{member.id}; delete the group snapshot once it is made.")
    backend_host = group_snapshot.host
    require_thawed(call, backend_host)
    moved = db.transition("group_snapshot", group_snapshot.id, begin,
                          guard=db.Guard(expected_version=group_snapshot.version),
                          effects=db.Effects(values={"status_reason": None},
                                             members=(group_snapshot_members("delete.begin"),)))
    if moved is None:
        raise VolumeStateConflict("group snapshot", group_snapshot.id, "delete it", sources)
    if backend_host is None:
        _land(group_snapshot.id, "delete.done")
        return
    try:
        VolumeClient().delete_group_snapshot(call.ctx, backend_host, group_snapshot_id=group_snapshot.id)
    except ServiceUnavailable as error:
        log.warning("group snapshot %s: could not ask for its delete: %s", group_snapshot.id, error.detail)
        _land(group_snapshot.id, "delete.fail", status_reason=str(error)[:MAX_REASON])
        raise disclosure.unavailable(call, error) from error


ALL_STATUSES = frozenset(str(s) for s in GroupSnapshotStatus) - {str(GroupSnapshotStatus.DELETED)}


def reset_status(call: ApiCall, group_snapshot_id: str, *, status: str) -> None:
    group_snapshot = db.group_snapshot_get(group_snapshot_id)
    db.transition("group_snapshot", group_snapshot.id, (ALL_STATUSES, status))
    log.info("group snapshot %s: status reset from %s to %s", group_snapshot.id, group_snapshot.status, status)
