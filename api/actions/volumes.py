"""Volume requests on the api side: check, one compare-and-swap in the DB, then the cast.

A request that loses the swap to a concurrent one raises VolumeStateConflict (400) and has
changed nothing. A cast that cannot be delivered moves the volume along the ``*.fail`` edge
(giving back what ``*.begin`` reserved) and the caller sees 503. The admin actions never race
a volume service: while a live one holds the volume (tracked work) they are refused (Busy,
400); a dead holder's claim is taken away in the same transaction, so nothing it still does lands.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from api.actions import disclosure, encryption, types, zones
from api.actions.metadata import swap_metadata
from api.errors import BadRequest, OverLimit
from api.policies import volume_actions
from api.policies import volumes as volume_rules
from api.request import ApiCall
from api.schemas import VolumeCreate
from api.validation import check_metadata_size
from db import api as db
from db import errors as db_errors
from db.records import Volume, VolumeType
from rpc.errors import ServiceUnavailable
from scheduler.client import SchedulerClient
from volume import messages
from volume.client import BINARY as VOLUME_BINARY
from volume.client import VolumeClient
from volume.errors import InvalidRequest, VolumeStateConflict
from volume.states.attachments import AttachStatus
from volume.states.backups import backup_edge
from volume.states.groups import group_edge
from volume.states.snapshots import SnapshotStatus, snapshot_edge
from volume.states.volumes import WORKING_OPERATION, Status, edge

log = logging.getLogger(__name__)

ALL_STATUSES = frozenset(str(s) for s in Status)
MAX_REASON = 255


def owner_target(volume: Volume) -> dict[str, str]:
    """A volume as the target of a rule checked inside an operation (as Cinder's ``target_obj``)."""
    return {"project_id": volume.project_id, "user_id": volume.user_id}


def get(call: ApiCall, volume_id: str) -> Volume:
    """The volume if the caller may see it (its project's, or any for an admin); else NotFound."""
    return call.take("volume", volume_id) or db.volume_get(volume_id, project_id=call.scope_project())


def create(call: ApiCall, request: VolumeCreate) -> Volume:
    if call.replay_resource_id is not None:
        return db.volume_get(call.replay_resource_id, project_id=call.project_id)
    check_metadata_size(request.metadata, limit=call.settings.max_metadata_items, resource="volume")
    size_gb = request.size_gb
    origin: Volume | None = None  # the volume whose type, zone and bootable flag a clone inherits
    snapshot_claim = source_claim = None
    if request.snapshot_id:
        snapshot = db.snapshot_get(request.snapshot_id, project_id=call.scope_project())
        claim = snapshot_edge("clone.begin")
        if snapshot.status not in claim[0]:
            raise VolumeStateConflict("snapshot", snapshot.id, "create a volume from it", claim[0], snapshot.status)
        size_gb = _not_smaller(size_gb, snapshot.size_gb, "snapshot")
        origin = _maybe_volume(snapshot.volume_id)
        snapshot_claim = (snapshot.id, snapshot.version, claim)
    elif request.backup_id:
        backup = db.backup_get(request.backup_id, project_id=call.scope_project())
        if backup.status not in backup_edge("restore.begin")[0]:
            raise VolumeStateConflict("backup", backup.id, "create a volume from it", backup_edge("restore.begin")[0],
                                      backup.status)
        size_gb = _not_smaller(size_gb, backup.size_gb, "backup")
    elif request.source_volid:
        origin = get(call, request.source_volid)
        claim = edge("clone.begin")
        if origin.status not in claim[0]:
            raise VolumeStateConflict("volume", origin.id, "clone it", claim[0], origin.status)
        size_gb = _not_smaller(size_gb, origin.size_gb, "volume")
        source_claim = (origin.id, origin.version, claim)
    assert size_gb is not None  # the schema requires a size unless there is a source
    within_per_volume_limit(call, size_gb)
    volume_type = _volume_type(call, request.volume_type, origin)
    encryption.refuse_encrypted(volume_type)
    multiattach = request.multiattach or types.is_multiattach(volume_type)
    if multiattach:
        call.authorize(volume_rules.MULTIATTACH)
    group_claim = _group_claim(call, request.group_id, volume_type) if request.group_id else None
    volume = db.volume_create(
        project_id=call.project_id, user_id=call.ctx.user_id, size_gb=size_gb, status=Status.CREATING,
        availability_zone=_zone(call, request.availability_zone, origin), name=request.name,
        description=request.description, volume_type_id=volume_type.id, metadata=request.metadata,
        bootable=origin.bootable if origin else False,
        multiattach=multiattach,
        snapshot=snapshot_claim, source_volume=source_claim, idempotency=call.idempotency(),
        quota_defaults=call.settings.quota_defaults, group=group_claim)
    log.info("volume %s: created in status %s, asking a scheduler to place it", volume.id, volume.status)
    if request.backup_id:  # a backup service restores it once it is created
        backup = db.backup_get(request.backup_id)
        if db.backup_restore_begin(backup.id, backup_edge=backup_edge("restore.begin"), backup_version=backup.version,
                                   volume_id=volume.id, volume_edge=None) is None:
            db.volume_transition(volume.id, edge("create.fail"), status_reason="its backup changed meanwhile")
            raise VolumeStateConflict("backup", backup.id, "create a volume from it", backup_edge("restore.begin")[0])
    try:
        SchedulerClient().create_volume(call.ctx, volume_id=volume.id)
    except ServiceUnavailable as error:
        log.warning("volume %s: could not reach a scheduler: %s", volume.id, error.detail)
        db.volume_transition(volume.id, edge("create.fail"), status_reason=_reason(error))
        raise disclosure.unavailable(call, error) from error
    return volume


def _group_claim(call: ApiCall, group_id: str, volume_type: VolumeType) -> tuple[str, tuple[frozenset[str], str]]:
    """The group a new volume joins: the caller's, available, and taking the volume's type."""
    group = db.group_get(group_id, project_id=call.scope_project())
    claim = group_edge("update")
    if group.status not in claim[0]:
        raise VolumeStateConflict("group", group.id, "create a volume in it", claim[0], group.status)
    if volume_type.id not in group.volume_type_ids:
        raise InvalidRequest(f"Invalid volume type: group {group.id} does not take volume type {volume_type.id} "
                             f"(its types: {', '.join(group.volume_type_ids)}).")
    return group.id, claim


def within_per_volume_limit(call: ApiCall, size_gb: int) -> None:
    """The project's per_volume_gigabytes quota (Cinder's VolumeSizeExceedsLimit, a 413)."""
    limit = db.quota_limit(call.project_id, db.PER_VOLUME_QUOTA, call.settings.quota_defaults)
    if 0 <= limit < size_gb:
        raise OverLimit(f"Requested volume size {size_gb}G is larger than maximum allowed limit {limit}G.")


def _not_smaller(size_gb: int | None, source_gb: int, source: str) -> int:
    if size_gb is None:
        return source_gb
    if size_gb < source_gb:
        raise BadRequest(f"Invalid input received: Volume size '{size_gb}'GB cannot be smaller than the {source} "
                         f"size {source_gb}GB. They must be >= original {source} size.")
    return size_gb


def _maybe_volume(volume_id: str) -> Volume | None:
    try:
        return db.volume_get(volume_id)
    except db_errors.NotFound:
        return None


def _volume_type(call: ApiCall, ref: str | None, origin: Volume | None) -> VolumeType:
    if ref is None and origin is not None and origin.volume_type_id:
        try:
            return db.type_get(origin.volume_type_id)
        except db_errors.NotFound:
            pass
    return types.visible(call, ref or types.default_ref(call))


def _zone(call: ApiCall, requested: str | None, origin: Volume | None) -> str:
    if requested is None:
        return origin.availability_zone if origin else call.settings.default_availability_zone
    known = zones.known(call.settings)
    if requested not in known:
        raise BadRequest(f"Invalid input received: Availability zone '{requested}' is invalid; "
                         f"it must be one of {', '.join(known)}.")
    if origin is not None and requested != origin.availability_zone:
        raise BadRequest(f"Invalid input received: the volume must be in the availability zone of its source "
                         f"({origin.availability_zone}).")
    return requested


def update(call: ApiCall, volume_id: str, *, values: dict[str, Any]) -> Volume:
    if not values:
        return get(call, volume_id)
    if "metadata" in values:
        check_metadata_size(values["metadata"], limit=call.settings.max_metadata_items, resource="volume")
    return db.volume_update(volume_id, project_id=call.scope_project(), **values)


def delete(call: ApiCall, volume_id: str, *, cascade: bool = False) -> None:
    """With ``cascade`` the volume's snapshots (each available or error, as Cinder asks) are deleted with
    it: marked deleting here, removed by the volume service before the volume. A volume whose manage
    failed is unmanaged instead, as Cinder does: whatever the storage took over of it stays there."""
    volume = get(call, volume_id)
    if volume.status == Status.ERROR_MANAGING and not cascade:
        _delete(call, volume, event="unmanage.begin", action="delete it", op="unmanage")
        return
    _delete(call, volume, event="delete.begin", action="delete it", cascade=cascade)


def unmanage(call: ApiCall, volume_id: str) -> None:
    """Forget the volume and give back its quota; its data stays on the storage (os-unmanage)."""
    _delete(call, get(call, volume_id), event="unmanage.begin", action="unmanage it", op="unmanage")


def force_delete(call: ApiCall, volume_id: str) -> None:
    _delete(call, get(call, volume_id), event="force_delete.begin", action="force-delete it")


def delete_in_group(call: ApiCall, volume: Volume) -> None:
    """A group's volume, deleted with its group (delete-volumes): the one way such a volume goes."""
    _delete(call, volume, event="delete.begin", action="delete it with its group", with_group=True)


def _delete(call: ApiCall, volume: Volume, *, event: str, action: str, cascade: bool = False,
            op: str = "delete", with_group: bool = False) -> None:
    if volume.group_id and not with_group:
        raise InvalidRequest(f"Invalid volume: volume {volume.id} belongs to group {volume.group_id}: remove it "
                             "from the group first, or delete the group with delete-volumes.")
    sources, target = begin = edge(event)
    # counted after the read: an attachment made since bumps the version, and the swap below loses
    attachments = db.attachment_count(project_id=None, filters={"volume_id": volume.id})
    if attachments:
        raise InvalidRequest(f"Invalid volume: volume {volume.id} has {attachments} attachment(s); detach it "
                             "first (DELETE /v3/attachments/{id}, or os-force_detach).")
    if volume.status not in sources:
        raise VolumeStateConflict("volume", volume.id, action, sources, volume.status)
    # listed after the read: a snapshot taken since bumps the version, and the swap below loses
    snapshots = db.snapshot_list(project_id=None, filters={"volume_id": volume.id})
    if snapshots and not cascade:
        raise InvalidRequest(f"Invalid volume: Volume still has {len(snapshots)} dependent snapshots.")
    deletable, _ = snapshot_edge("delete.begin")
    busy = [s for s in snapshots if s.status not in deletable]
    if busy:
        raise InvalidRequest(f"Invalid volume: snapshot {busy[0].id} of the volume is {busy[0].status}; a cascade "
                             f"delete takes snapshots that are {', '.join(sorted(deletable))}.")
    require_thawed(call, volume.backend_host)
    revoke = holder_check(call) if event == "force_delete.begin" else None
    moved = db.volume_transition(volume.id, begin, expected_version=volume.version, status_reason=None,
                                 revoke=revoke)
    if moved is None:
        raise VolumeStateConflict("volume", volume.id, action, sources)
    log.info("volume %s: %s -> %s", volume.id, volume.status, target)
    for snapshot in snapshots:  # the volume is deleting now: no snapshot can be taken of it any more
        if db.snapshot_transition(snapshot.id, snapshot_edge("delete.begin"), status_reason=None) is None:
            log.warning("snapshot %s: changed while its volume %s was deleted with cascade", snapshot.id, volume.id)
    backend_host = moved.backend_host
    if backend_host is None:  # never placed: nothing exists on any backend
        db.volume_destroy(volume.id, edge(f"{op}.done"))
        return
    client = VolumeClient()
    try:
        (client.unmanage_volume if op == "unmanage" else client.delete_volume)(call.ctx, backend_host,
                                                                               volume_id=volume.id)
    except ServiceUnavailable as error:
        log.warning("volume %s: could not ask for its %s: %s", volume.id, op, error.detail)
        db.volume_transition(volume.id, edge(f"{op}.fail"), status_reason=_reason(error))
        raise disclosure.unavailable(call, error) from error


EXTEND_ATTACHED_SINCE = 42


def extend(call: ApiCall, volume_id: str, *, new_size_gb: int) -> None:
    volume = get(call, volume_id)
    sources, _ = begin = edge("extend_attached.begin" if call.since(EXTEND_ATTACHED_SINCE) else "extend.begin")
    if volume.status not in sources:
        raise VolumeStateConflict("volume", volume.id, "extend it", sources, volume.status)
    if volume.status == Status.IN_USE:  # Cinder asks a second rule to grow a volume a host uses
        call.authorize(volume_actions.EXTEND_ATTACHED, owner_target(volume))
    if new_size_gb <= volume.size_gb:
        raise InvalidRequest(f"New size for extend must be greater than current size. (current: "
                             f"{volume.size_gb}, extended: {new_size_gb}).")
    within_per_volume_limit(call, new_size_gb)
    backend_host = volume.backend_host
    if backend_host is None:
        raise InvalidRequest(f"Invalid volume: volume {volume.id} is on no backend, so it cannot be extended.")
    require_thawed(call, backend_host)
    # counted after the read: a snapshot begun since bumps the version, and the swap below loses
    copying = db.snapshot_count(project_id=None, filters={"volume_id": volume.id,
                                                          "status": str(SnapshotStatus.CREATING)})
    if copying:
        raise InvalidRequest(f"Invalid volume: volume {volume.id} has {copying} snapshot(s) being created; "
                             "extend it once they are available.")
    delta = new_size_gb - volume.size_gb
    moved = db.volume_transition(volume.id, begin, expected_version=volume.version, quota={"gigabytes": delta},
                                 quota_defaults=call.settings.quota_defaults, pool_claim_gb=delta,
                                 status_reason=None, target_size_gb=new_size_gb)
    if moved is None:
        raise VolumeStateConflict("volume", volume.id, "extend it", sources)
    log.info("volume %s: %s -> %s (to %d GB)", volume.id, volume.status, moved.status, new_size_gb)
    try:
        VolumeClient().extend_volume(call.ctx, backend_host, volume_id=volume.id, new_size_gb=new_size_gb)
    except ServiceUnavailable as error:
        log.warning("volume %s: could not ask for its extend: %s", volume.id, error.detail)
        db.volume_transition(volume.id, edge("extend.fail"), release_pending=True, status_reason=_reason(error))
        raise disclosure.unavailable(call, error) from error


def reset_status(call: ApiCall, volume_id: str, *, status: str | None, values: dict[str, Any]) -> None:
    """Set the status an admin asks for, from whatever it is now, unless a request changed it meanwhile.

    Refused (Busy) while a live volume service works on the volume. An operation that was only
    accepted (its message still queued) is dropped: what it reserved is given back, and its
    user is told.
    """
    volume = get(call, volume_id)  # the record the policy check read
    target = status or volume.status
    _refuse_reset_of_attached(volume, target, values.get("attach_status"))
    moved = db.volume_transition(volume.id, (ALL_STATUSES, target), expected_version=volume.version,
                                 status_reason=None, revoke=holder_check(call),
                                 release_pending=target != Status.EXTENDING, **values)
    if moved is None:
        raise VolumeStateConflict("volume", volume.id, "reset its status", ALL_STATUSES)
    log.info("volume %s: status reset from %s to %s by an admin", volume.id, volume.status, moved.status)
    stopped = WORKING_OPERATION.get(Status(volume.status)) if volume.status in set(Status) else None
    if stopped and target != volume.status:
        messages.post(messages.stopped("volume", stopped, by_admin=True), project_id=volume.project_id,
                      resource_uuid=volume.id, request_id=call.ctx.request_id)


def _refuse_reset_of_attached(volume: Volume, status: str, attach_status: str | None) -> None:
    """A reset never says "not attached" while attachments (and so exports) exist: Cinder's reset leaves
    the host's access and the target behind; ember asks for the detach that removes them."""
    if status != Status.AVAILABLE and attach_status != AttachStatus.DETACHED:
        return
    attachments = db.attachment_count(project_id=None, filters={"volume_id": volume.id})
    if attachments:
        raise InvalidRequest(f"Invalid volume: volume {volume.id} has {attachments} attachment(s); a reset to "
                             "available/detached would leave their connections and export behind. Detach them "
                             "with os-force_detach (it ends each connection, whatever its status), then reset.")


def holder_check(call: ApiCall) -> db.HolderCheck:
    """How an admin action tells whether the volume service holding a resource is alive."""
    return db.HolderCheck(binary=VOLUME_BINARY, alive_within_s=call.settings.service_down_time_s)


def require_thawed(call: ApiCall, backend_host: str | None) -> None:
    """A frozen backend takes no new work on its volumes (Cinder's freeze)."""
    if backend_host and db.service_hosts_closed(VOLUME_BINARY, [backend_host]).get(backend_host) == "frozen":
        raise InvalidRequest(disclosure.for_caller(
            call, "Invalid volume: its backend is frozen; an admin thaws it with PUT /os-services/thaw.",
            f"backend {backend_host}"))


def change_metadata(call: ApiCall, volume_id: str, *, change: Callable[[dict[str, str]], dict[str, str]],
                    attempts: int = 3) -> Volume:
    """Apply ``change`` to the volume's metadata as one compare-and-swap on its version (``metadata.swap_metadata``)."""
    return swap_metadata(call, "volume", volume_id, get=get, transition=db.volume_transition, statuses=ALL_STATUSES,
                         change=change, attempts=attempts)

REVERT_SINCE = 40


def revert(call: ApiCall, volume_id: str, *, snapshot_id: str) -> None:
    """Revert an available volume to its latest snapshot, of the same size (as Cinder).

    The snapshot is claimed with the volume in one swap, so a snapshot taken or deleted meanwhile
    makes it a 400 that changed nothing.
    """
    volume = get(call, volume_id)
    sources, _ = begin = edge("revert.begin")
    if volume.status not in sources:
        raise VolumeStateConflict("volume", volume.id, "revert it", sources, volume.status)
    latest = db.snapshot_list(project_id=None, filters={"volume_id": volume.id}, limit=1)
    if not latest or latest[0].id != snapshot_id:
        raise InvalidRequest(f"Invalid snapshot: Specified snapshot {snapshot_id} is None or not the latest one "
                             f"of volume {volume.id}.")
    snapshot = latest[0]
    claim = snapshot_edge("revert.begin")
    if snapshot.status not in claim[0]:
        raise VolumeStateConflict("snapshot", snapshot.id, "revert its volume to it", claim[0], snapshot.status)
    if snapshot.size_gb != volume.size_gb:
        raise InvalidRequest(f"Invalid volume: volume {volume.id} is {volume.size_gb} GB and its snapshot "
                             f"{snapshot.id} {snapshot.size_gb} GB; a revert needs them of the same size.")
    backend_host = volume.backend_host
    if backend_host is None:
        raise InvalidRequest(f"Invalid volume: volume {volume.id} is on no backend, so it cannot be reverted.")
    require_thawed(call, backend_host)
    try:
        moved = db.volume_revert_begin(volume.id, begin, expected_version=volume.version, snapshot_id=snapshot.id,
                                       snapshot_version=snapshot.version, snapshot_edge=claim)
    except db_errors.Conflict:
        moved = None
    if moved is None:
        raise VolumeStateConflict("volume", volume.id, "revert it", sources)
    log.info("volume %s: %s -> %s (to snapshot %s)", volume.id, volume.status, moved.status, snapshot.id)
    try:
        VolumeClient().revert_volume(call.ctx, backend_host, volume_id=volume.id, snapshot_id=snapshot.id)
    except ServiceUnavailable as error:
        log.warning("volume %s: could not ask for its revert: %s", volume.id, error.detail)
        # nothing was copied yet: the volume is as it was
        db.volume_transition(volume.id, edge("revert.cancel"), status_reason=_reason(error))
        raise disclosure.unavailable(call, error) from error


def set_bootable(call: ApiCall, volume_id: str, *, bootable: bool) -> None:
    db.volume_update(volume_id, project_id=call.scope_project(), bootable=bootable)


def _reason(error: Exception) -> str:
    return str(error)[:MAX_REASON]
