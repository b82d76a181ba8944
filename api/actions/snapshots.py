"""Snapshot requests on the api side: check, claim the volume or snapshot by version, cast.

Like volumes: a request that loses a compare-and-swap raises VolumeStateConflict (400) and
has changed nothing; an undeliverable cast moves the snapshot along its ``*.fail`` edge (503).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from api.actions import disclosure
from api.actions.metadata import swap_metadata
from api.actions.volumes import holder_check, require_thawed
from api.errors import BadRequest
from api.request import ApiCall
from api.schemas import SnapshotCreate
from api.validation import check_metadata_size
from common.capabilities import ATTACHED_SNAPSHOTS
from db import api as db
from db import errors as db_errors
from db.records import Snapshot, Volume
from rpc.errors import ServiceUnavailable
from volume.client import VolumeClient
from volume.errors import InvalidRequest, VolumeStateConflict
from volume.states.snapshots import SNAPSHOT_REPORTED, SnapshotStatus, snapshot_edge
from volume.states.volumes import Status, edge

log = logging.getLogger(__name__)

ALL_STATUSES = frozenset(str(s) for s in SnapshotStatus)
FORCE_REJECTED_SINCE = 66  # 3.66: an in-use volume is snapshotted without force; force=false is refused
MAX_REASON = 255


def get(call: ApiCall, snapshot_id: str) -> Snapshot:
    return call.take("snapshot", snapshot_id) or db.snapshot_get(snapshot_id, project_id=call.scope_project())


def create(call: ApiCall, request: SnapshotCreate) -> Snapshot:
    if call.replay_resource_id is not None:
        return db.snapshot_get(call.replay_resource_id, project_id=call.project_id)
    if request.force is False and call.since(FORCE_REJECTED_SINCE):
        raise BadRequest("Invalid input for field/attribute force. Since microversion 3.66 the 'force' flag "
                         "is invalid for this request; leave it out.")
    check_metadata_size(request.metadata, limit=call.settings.max_metadata_items, resource="snapshot")
    if request.volume_id is None:
        raise db_errors.NotFound("Volume", "None")
    volume = db.volume_get(request.volume_id, project_id=call.scope_project())
    claim = _volume_claim(call, volume.id, volume.status, force=bool(request.force))
    backend_host = volume.backend_host
    if backend_host is None:
        raise InvalidRequest(f"Invalid volume: volume {volume.id} is on no backend, so it cannot be snapshotted.")
    if claim == edge("snapshot_in_use.begin"):
        _require_point_in_time(volume)
    require_thawed(call, backend_host)
    snapshot = db.snapshot_create(
        project_id=volume.project_id, user_id=call.ctx.user_id, volume_id=volume.id,
        volume_version=volume.version, volume_claim=claim, status=SnapshotStatus.CREATING,
        name=request.name, description=request.description, metadata=request.metadata,
        idempotency=call.idempotency(), quota_defaults=call.settings.quota_defaults)
    try:
        VolumeClient().create_snapshot(call.ctx, backend_host, snapshot_id=snapshot.id)
    except ServiceUnavailable as error:
        log.warning("snapshot %s: could not ask for its create: %s", snapshot.id, error.detail)
        db.snapshot_transition(snapshot.id, snapshot_edge("create.fail"), status_reason=str(error)[:MAX_REASON])
        raise disclosure.unavailable(call, error) from error
    return snapshot


def _volume_claim(call: ApiCall, volume_id: str, status: str, *, force: bool) -> tuple[frozenset[str], str]:
    """The edge that claims the volume for its snapshot: an available one, or (as Cinder allows, for
    Nova's assisted and quiesced snapshots) an in-use one when the caller forces it or asks 3.66 on."""
    events = ["snapshot.begin"]
    if force or call.since(FORCE_REJECTED_SINCE):
        events.append("snapshot_in_use.begin")
    for event in events:
        claim = edge(event)
        if status in claim[0]:
            return claim
    accepted = frozenset().union(*(edge(event)[0] for event in events))
    hint = " (an in-use volume needs force=true before 3.66)" if status == Status.IN_USE else ""
    raise VolumeStateConflict("volume", volume_id, "snapshot it" + hint, accepted, status)


def _require_point_in_time(volume: Volume) -> None:
    """An attached volume's snapshot only where its pool takes one at a single point in time: a copy made
    while the host writes would hold neither the data before nor after (Cinder asks Nova for those)."""
    capabilities = db.pool_capabilities(volume.host) if volume.host else None
    if capabilities is not None and not capabilities.get(ATTACHED_SNAPSHOTS, False):
        raise InvalidRequest(f"Invalid volume: the storage of volume {volume.id} cannot take a consistent "
                             "snapshot while the volume is attached (it copies the data while the host writes); "
                             "detach it, or snapshot it from the server.")


def update(call: ApiCall, snapshot_id: str, *, values: dict[str, Any]) -> Snapshot:
    if "metadata" in values:
        check_metadata_size(values["metadata"], limit=call.settings.max_metadata_items, resource="snapshot")
    return db.snapshot_update(snapshot_id, project_id=call.scope_project(), **values)


def change_metadata(call: ApiCall, snapshot_id: str, *, change: Callable[[dict[str, str]], dict[str, str]],
                    attempts: int = 3) -> Snapshot:
    """One compare-and-swap on the snapshot's version, retried from fresh (``metadata.swap_metadata``)."""
    return swap_metadata(call, "snapshot", snapshot_id, get=get, transition=db.snapshot_transition,
                         statuses=ALL_STATUSES, change=change, attempts=attempts)

def delete(call: ApiCall, snapshot_id: str) -> None:
    _delete(call, get(call, snapshot_id), event="delete.begin", action="delete it")


def force_delete(call: ApiCall, snapshot_id: str) -> None:
    _delete(call, db.snapshot_get(snapshot_id), event="force_delete.begin", action="force-delete it")


def unmanage(call: ApiCall, snapshot_id: str) -> None:
    """Forget the snapshot and give back its quota; its data stays on the storage (os-unmanage)."""
    _delete(call, get(call, snapshot_id), event="unmanage.begin", action="unmanage it", op="unmanage")


def _delete(call: ApiCall, snapshot: Snapshot, *, event: str, action: str, op: str = "delete") -> None:
    if snapshot.group_snapshot_id:
        raise InvalidRequest(f"Invalid snapshot: snapshot {snapshot.id} is part of group snapshot "
                             f"{snapshot.group_snapshot_id}; delete the group snapshot instead.")
    sources, _ = begin = snapshot_edge(event)
    if snapshot.status not in sources:
        raise VolumeStateConflict("snapshot", snapshot.id, action, sources, snapshot.status)
    volume = _volume_of(snapshot.volume_id)
    if event == "delete.begin" and volume is not None and volume.status == Status.REVERTING:
        raise InvalidRequest(f"Invalid snapshot: its volume {volume.id} is being reverted; delete it once the "
                             "volume is available.")
    backend_host = volume.backend_host if volume is not None else None
    require_thawed(call, backend_host)
    revoke = holder_check(call) if event == "force_delete.begin" else None
    if db.snapshot_transition(snapshot.id, begin, expected_version=snapshot.version, status_reason=None,
                              revoke=revoke) is None:
        raise VolumeStateConflict("snapshot", snapshot.id, action, sources)
    if backend_host is None:  # its volume is gone or was never placed: nothing to remove on a backend
        db.snapshot_destroy(snapshot.id, snapshot_edge(f"{op}.done"))
        return
    client = VolumeClient()
    try:
        (client.unmanage_snapshot if op == "unmanage" else client.delete_snapshot)(call.ctx, backend_host,
                                                                                   snapshot_id=snapshot.id)
    except ServiceUnavailable as error:
        log.warning("snapshot %s: could not ask for its %s: %s", snapshot.id, op, error.detail)
        db.snapshot_transition(snapshot.id, snapshot_edge(f"{op}.fail"), status_reason=str(error)[:MAX_REASON])
        raise disclosure.unavailable(call, error) from error


def _volume_of(volume_id: str) -> Volume | None:
    try:
        return db.volume_get(volume_id)
    except db_errors.NotFound:
        return None


def update_status(call: ApiCall, snapshot_id: str, *, status: str, progress: str | None) -> None:
    """Nova's report on a snapshot it makes (Cinder's os-update_snapshot_status): creating may become
    available or error, deleting error_deleting; the same status again only changes the progress."""
    snapshot = get(call, snapshot_id)
    values: dict[str, Any] = {"progress": progress} if progress is not None else {}
    reported = SnapshotStatus(status)
    if reported in (SnapshotStatus.CREATING, SnapshotStatus.DELETING):
        # only a progress report on a snapshot already in that status: nothing moves into it this way
        sources: frozenset[str] = frozenset({reported})
        edge: tuple[frozenset[str], str] = (sources, str(reported))
    else:
        edge = snapshot_edge(SNAPSHOT_REPORTED[reported])
        sources = edge[0]
    moved = db.snapshot_transition(snapshot.id, edge, expected_version=snapshot.version, **values)
    if moved is None:
        raise VolumeStateConflict("snapshot", snapshot.id, f"report it {status}", sources, snapshot.status)
    log.info("snapshot %s: %s -> %s as reported (progress %s)", snapshot.id, snapshot.status, status, progress)


def reset_status(call: ApiCall, snapshot_id: str, *, status: str) -> None:
    """Refused (Busy) while a live volume service works on the snapshot; see volumes.reset_status."""
    snapshot = db.snapshot_get(snapshot_id)
    if db.snapshot_transition(snapshot.id, (ALL_STATUSES, status), expected_version=snapshot.version,
                              status_reason=None, revoke=holder_check(call)) is None:
        raise VolumeStateConflict("snapshot", snapshot.id, "reset its status", ALL_STATUSES)
    log.info("snapshot %s: status reset from %s to %s by an admin", snapshot.id, snapshot.status, status)
