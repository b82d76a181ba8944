"""Groups on the api side: group types, and groups whose volumes join, leave and go with them.

A group is a record: it is available as soon as it is made, and its backend is the one its first
volume is placed on (every later volume is placed there, and a volume added later must be there).
Every change is one transaction that swaps the group's version with each volume's (db.group_update).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace

from api.actions import types, volumes, zones
from api.errors import BadRequest
from api.request import ApiCall
from api.schemas import VolumeCreate
from db import api as db
from db import errors as db_errors
from db.records import Group, GroupType, Volume
from volume.errors import InvalidRequest, VolumeStateConflict
from volume.states.groups import (
    GROUP_ADDABLE_VOLUME,
    GROUP_REMOVABLE_VOLUME,
    GroupSnapshotStatus,
    GroupStatus,
    group_edge,
)
from volume.states.volumes import Status

log = logging.getLogger(__name__)


# -- group types -------------------------------------------------------------------------------------

def group_type(call: ApiCall, ref: str) -> GroupType:
    """By id, or by name where Cinder takes one; a private type exists only for admins."""
    gtype = db.group_type_get(ref, by_name=True)
    if not gtype.is_public and not call.is_admin:
        raise db_errors.NotFound("Group type", ref)
    return gtype


def _not_reserved(gtype: GroupType) -> None:
    if gtype.name == db.DEFAULT_CGSNAPSHOT_TYPE:
        raise BadRequest(f"Group_type {gtype.id} is reserved for migrating CGs to groups. Migrated group can only "
                         "be operated by CG APIs.")


# -- groups --------------------------------------------------------------------------------------------

def get(call: ApiCall, group_id: str) -> Group:
    group = db.group_get(group_id, project_id=call.scope_project())
    if group.group_type_id == _reserved_type_id():
        raise BadRequest(f"Group_type {group.group_type_id} is reserved for migrating CGs to groups. Migrated "
                         "group can only be operated by CG APIs.")
    return group


def _reserved_type_id() -> str | None:
    try:
        return db.group_type_get(db.DEFAULT_CGSNAPSHOT_TYPE, by_name=True).id
    except db_errors.NotFound:
        return None


def create(call: ApiCall, *, group_type: str, volume_types: Sequence[str], name: str | None,
           description: str | None, availability_zone: str | None) -> Group:
    gtype = db.group_type_get(group_type, by_name=True)
    _not_reserved(gtype)
    if not volume_types:
        raise BadRequest("Invalid input received: volume_types must be provided to create group.")
    type_ids = [types.visible(call, ref).id for ref in volume_types]
    zone = availability_zone or call.settings.default_availability_zone
    if availability_zone is not None and availability_zone not in zones.known(call.settings):
        raise BadRequest(f"Invalid input received: Availability zone '{availability_zone}' is invalid.")
    group = db.group_create(project_id=call.project_id, user_id=call.ctx.user_id, name=name, description=description,
                            availability_zone=zone, group_type_id=gtype.id, volume_type_ids=type_ids,
                            status=GroupStatus.AVAILABLE, quota_defaults=call.settings.quota_defaults)
    log.info("group %s: created (group type %s, volume types %s)", group.id, gtype.id, ", ".join(type_ids))
    return group


def _ids(listed: str | None) -> list[str]:
    return [part.strip() for part in (listed or "").strip(",").split(",") if part.strip()]


def update(call: ApiCall, group_id: str, *, name: str | None, description: str | None, add_volumes: str | None,
           remove_volumes: str | None) -> Group:
    """Rename, describe, and move volumes in and out: Cinder's rules, each refusal a 400 naming the volume."""
    group = get(call, group_id)
    adding, removing = _ids(add_volumes), _ids(remove_volumes)
    both = sorted(set(adding) & set(removing))
    if both:
        raise InvalidRequest(f"Invalid volume: UUIDs {both} are in both add and remove volume list.")
    members = {v.id: v for v in db.group_volumes([group.id])[group.id]}
    to_add = [_addable(call, group, volume_id) for volume_id in dict.fromkeys(adding) if volume_id not in members]
    to_remove = [_removable(group, members, volume_id) for volume_id in dict.fromkeys(removing)]
    values: dict[str, str | None] = {}
    if name is not None and name != group.name:
        values["name"] = name
    if description is not None and description != group.description:
        values["description"] = description
    if not values and not to_add and not to_remove:
        raise InvalidRequest(f"Invalid group: Cannot update group {group.id} because no valid name, description, "
                             "add_volumes, or remove_volumes were provided.")
    backends = {v.backend_host for v in to_add}
    if len(backends) > 1 or (group.host and backends and backends != {group.host}):
        raise InvalidRequest("Invalid volume: Volume is not local to this node: a group's volumes are all on "
                             f"one backend ({group.host or 'that of the first volume added'}).")
    sources, _ = begin = group_edge("update")
    if group.status not in sources:
        raise VolumeStateConflict("group", group.id, "update it", sources, group.status)
    updated = db.group_update(group.id, edge=begin, expected_version=group.version, values=values,
                              add=[(v.id, v.version) for v in to_add], remove=[(v.id, v.version) for v in to_remove],
                              add_sources=frozenset(str(s) for s in GROUP_ADDABLE_VOLUME),
                              remove_sources=frozenset(str(s) for s in GROUP_REMOVABLE_VOLUME),
                              backend_host=next(iter(backends)) if backends else None)
    log.info("group %s: updated (added %s, removed %s)", group.id, [v.id for v in to_add], [v.id for v in to_remove])
    return updated


def _addable(call: ApiCall, group: Group, volume_id: str) -> Volume:
    where = f"Cannot add volume {volume_id} to group {group.id}"
    try:
        volume = db.volume_get(volume_id, project_id=call.scope_project())
    except db_errors.NotFound:
        raise InvalidRequest(f"Invalid volume: {where} because volume cannot be found.") from None
    if volume.group_id:
        raise InvalidRequest(f"Invalid volume: {where} because it is already in group {volume.group_id}.")
    if volume.project_id != group.project_id:
        raise InvalidRequest(f"Invalid volume: {where} as they belong to different projects.")
    if volume.volume_type_id not in group.volume_type_ids:
        raise InvalidRequest(f"Invalid volume: {where} because volume type {volume.volume_type_id} is not "
                             "supported by the group.")
    if volume.status not in GROUP_ADDABLE_VOLUME:
        raise InvalidRequest(f"Invalid volume: {where} because volume is in an invalid state: {volume.status}. "
                             f"Valid states are: {sorted(GROUP_ADDABLE_VOLUME)}.")
    if volume.backend_host is None:
        raise InvalidRequest(f"Invalid volume: {where} because it is on no backend.")
    return volume


def _removable(group: Group, members: dict[str, Volume], volume_id: str) -> Volume:
    volume = members.get(volume_id)
    if volume is None:
        raise InvalidRequest(f"Invalid volume: Cannot remove volume {volume_id} from group {group.id} because it "
                             "is not in the group.")
    if volume.status not in GROUP_REMOVABLE_VOLUME:
        raise InvalidRequest(f"Invalid volume: Cannot remove volume {volume_id} from group {group.id} because "
                             f"volume is in an invalid state: {volume.status}. Valid states are: "
                             f"{sorted(GROUP_REMOVABLE_VOLUME)}.")
    return volume


def delete(call: ApiCall, group_id: str, *, delete_volumes: bool) -> None:
    """Without delete-volumes, a group holding volumes is refused (400). With it, each volume's delete is
    started as a volume delete is (each refused together if one cannot go: attached, with snapshots), then
    the group goes, giving back its quota."""
    group = get(call, group_id)
    sources, _ = edge = group_edge("delete_with_volumes" if delete_volumes else "delete")
    if group.status not in sources:
        raise VolumeStateConflict("group", group.id, "delete it", sources, group.status)
    if db.group_snapshot_count(group_id=group.id):
        raise InvalidRequest(f"Invalid group: Group {group.id} has existing snapshots.")
    members = db.group_volumes([group.id])[group.id]
    if members and not delete_volumes:
        raise InvalidRequest(f"Invalid group: Group {group.id} still contains volumes. The delete-volumes flag is "
                             "required to delete it.")
    for volume in members:
        _deletable(group, volume)
    for volume in members:
        if volume.status != Status.DELETING:
            volumes.delete_in_group(call, volume)
    db.group_destroy(group.id, edge=edge, expected_version=group.version, deleted_status=GroupStatus.DELETED,
                     settled_volume_statuses=frozenset({str(Status.DELETING), str(Status.DELETED)}))
    log.info("group %s: deleted with its %d volume(s)", group.id, len(members))


def _deletable(group: Group, volume: Volume) -> None:
    if volume.attach_status != "detached":
        raise InvalidRequest(f"Invalid group: Volume in group {group.id} is attached. Need to detach first.")
    if db.snapshot_count(project_id=None, filters={"volume_id": volume.id}):
        raise InvalidRequest("Invalid group: Volume in group still has dependent snapshots.")


def create_from_src(call: ApiCall, *, group_snapshot_id: str | None, source_group_id: str | None,
                    name: str | None, description: str | None) -> Group:
    """A new group of the source's types on the source's backend, with one new volume per member snapshot
    (or per volume of the source group), each created as a volume from a snapshot (or a clone) is."""
    if bool(group_snapshot_id) == bool(source_group_id):
        raise BadRequest("Invalid input received: give exactly one of group_snapshot_id and source_group_id.")
    origins: list[tuple[Volume, VolumeCreate]] = []
    if group_snapshot_id:
        group_snapshot = db.group_snapshot_get(group_snapshot_id, project_id=call.scope_project())
        if group_snapshot.status != GroupSnapshotStatus.AVAILABLE:
            raise InvalidRequest(f"Invalid group snapshot: group snapshot {group_snapshot.id} is "
                                 f"{group_snapshot.status}; a group is created from an available one.")
        source = db.group_get(group_snapshot.group_id)
        by_id = db.volumes_by_id(m.volume_id for m in db.group_snapshot_members(group_snapshot.id))
        for member in db.group_snapshot_members(group_snapshot.id):
            volume = by_id.get(member.volume_id)
            if volume is not None:
                origins.append((volume, _copy(volume, snapshot_id=member.id)))
        if not origins:
            raise InvalidRequest("Invalid group: Group snapshot is empty. No group will be created.")
    else:
        source = get(call, source_group_id or "")
        if source.status != GroupStatus.AVAILABLE:
            raise VolumeStateConflict("group", source.id, "create a group from it", {GroupStatus.AVAILABLE},
                                      source.status)
        origins = [(v, _copy(v, source_volid=v.id)) for v in db.group_volumes([source.id])[source.id]]
        if not origins:
            raise InvalidRequest("Invalid group: Source Group is empty. No group will be created.")
    group = db.group_create(project_id=call.project_id, user_id=call.ctx.user_id, name=name, description=description,
                            availability_zone=source.availability_zone, group_type_id=source.group_type_id,
                            volume_type_ids=source.volume_type_ids, status=GroupStatus.AVAILABLE,
                            quota_defaults=call.settings.quota_defaults, group_snapshot_id=group_snapshot_id,
                            source_group_id=source_group_id, host=origins[0][0].backend_host)
    log.info("group %s: created from %s with %d volume(s)", group.id,
             f"group snapshot {group_snapshot_id}" if group_snapshot_id else f"group {source_group_id}", len(origins))
    try:
        for _, request in origins:
            volumes.create(call, replace(request, group_id=group.id))
    except Exception:
        db.group_reset(group.id, status=GroupStatus.ERROR)  # what was made stays, in a group that says so
        raise
    return group


def _copy(volume: Volume, *, snapshot_id: str | None = None, source_volid: str | None = None) -> VolumeCreate:
    return VolumeCreate(size_gb=volume.size_gb, name=volume.name, description=volume.description,
                        volume_type=volume.volume_type_id, availability_zone=None, metadata={},
                        snapshot_id=snapshot_id, source_volid=source_volid, multiattach=False)


def reset_status(call: ApiCall, group_id: str, *, status: str) -> None:
    group = db.group_get(group_id)
    db.group_reset(group.id, status=status)
    log.info("group %s: status reset from %s to %s", group.id, group.status, status)
