"""Manage (take data already on a backend into a new volume or snapshot record) and the manageable lists.

The api asks the backend's active (an RPC call) what the reference names: its size and pool, or why
it cannot be managed (a 400 before anything is written). It then inserts the record ``managing``,
placed on that pool, with its quota reserved, and casts the manage to the backend; the volume service
renames the data to ember's name and lands it ``available`` (or ``error_managing``). Unmanage is a
delete that leaves the data (``volumes.unmanage``, ``snapshots.unmanage``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from api.actions import disclosure, snapshots, types, volumes, zones
from api.errors import BadRequest, ItemNotFound
from api.request import ApiCall
from api.schema_types import truthy
from api.validation import check_metadata_size
from db import api as db
from db.records import Pool, Snapshot, Volume
from rpc.errors import ServiceUnavailable
from volume.client import VolumeClient
from volume.errors import InvalidRequest
from volume.manage import SNAPSHOTS, VOLUMES
from volume.states.snapshots import SnapshotStatus, snapshot_edge
from volume.states.volumes import Status, edge

log = logging.getLogger(__name__)

SINCE = 8  # /v3/manageable_volumes and /v3/manageable_snapshots
_SORT_KEYS = ("size", "reference")


def _pools_of(host: str | None, cluster: str | None) -> tuple[str, list[Pool]]:
    """(backend host, its pools, or the one pool ``host`` names); ItemNotFound if ember has no such host."""
    named = host or cluster
    if not named:
        raise BadRequest("Invalid input received: either the host or the cluster must be given.")
    backend_host, _, pool_name = named.partition("#")
    pools = [p for p in db.pool_list() if p.backend_host == backend_host]
    if pool_name:
        pools = [p for p in pools if p.name == named]
    if not pools:
        raise ItemNotFound(f"Host '{named}' not found.")
    return backend_host, pools


def _ask(call: ApiCall, backend_host: str, *, kind: str, name: str | None) -> dict[str, Any]:
    try:
        answer = VolumeClient().manageable(call.ctx, backend_host, kind=kind, name=name,
                                           timeout_s=call.settings.attachment_call_timeout_s)
    except ServiceUnavailable as error:
        raise disclosure.unavailable(call, error) from error
    if not answer.get("acted", False):
        raise disclosure.unavailable(call, ServiceUnavailable(
            "The backend's storage service is changing hands; retry in a few seconds.",
            detail=f"no active volume service of {backend_host} answered"))
    return answer


def _reference_name(ref: Mapping[str, Any], *, prefix: str) -> str:
    name = ref.get("source-name")
    if name is None:
        name = f"{prefix}{ref['source-id']}"
    return str(name)


def _checked(call: ApiCall, backend_host: str, *, kind: str, ref: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    name = _reference_name(ref, prefix=prefix)
    answer = _ask(call, backend_host, kind=kind, name=name)
    if "error" in answer or "entry" not in answer:
        what = "volume" if kind == VOLUMES else "snapshot"
        raise BadRequest(f"Manage existing {what} failed due to invalid backend reference {dict(ref)}: "
                         f"{answer.get('error', 'the backend did not say')}")
    return {"name": name, "size_gb": int(answer["entry"]["size"]), "pool": answer.get("pool")}


def manage_volume(call: ApiCall, body: Mapping[str, Any]) -> Volume:
    if call.replay_resource_id is not None:
        return db.volume_get(call.replay_resource_id, project_id=call.project_id)
    metadata = body.get("metadata") or {}
    check_metadata_size(metadata, limit=call.settings.max_metadata_items, resource="volume")
    backend_host, pools = _pools_of(body.get("host"), body.get("cluster"))
    volume_type = types.visible(call, body.get("volume_type") or call.settings.default_volume_type)
    found = _checked(call, backend_host, kind=VOLUMES, ref=body["ref"], prefix="volume-")
    pool = next((p for p in pools if p.name.partition("#")[2] == found["pool"]), None)
    if pool is None:
        where = body.get("host") or body.get("cluster")
        raise BadRequest(f"Invalid input received: {found['name']} lies in pool {found['pool']} of "
                         f"{backend_host}, not on {where}.")
    zone = body.get("availability_zone") or pool.availability_zone
    if zone not in zones.known(call.settings):
        raise BadRequest(f"Invalid input received: Availability zone '{zone}' is invalid.")
    volumes.within_per_volume_limit(call, found["size_gb"])
    volume = db.volume_create(
        project_id=call.project_id, user_id=call.ctx.user_id, size_gb=found["size_gb"], status=Status.MANAGING,
        availability_zone=zone, name=body.get("name"), description=body.get("description"),
        volume_type_id=volume_type.id, metadata=metadata, bootable="bootable" in body and truthy(body["bootable"]),
        multiattach=types.is_multiattach(volume_type), idempotency=call.idempotency(),
        quota_defaults=call.settings.quota_defaults, host=pool.name)
    log.info("volume %s: managing %s on %s (%d GB)", volume.id, found["name"], pool.name, volume.size_gb)
    try:
        VolumeClient().manage_volume(call.ctx, backend_host, volume_id=volume.id, name=found["name"])
    except ServiceUnavailable as error:
        log.warning("volume %s: could not ask for its manage: %s", volume.id, error.detail)
        db.volume_transition(volume.id, edge("manage.fail"), status_reason=str(error)[:volumes.MAX_REASON])
        raise disclosure.unavailable(call, error) from error
    return volume


def manage_snapshot(call: ApiCall, body: Mapping[str, Any]) -> Snapshot:
    if call.replay_resource_id is not None:
        return db.snapshot_get(call.replay_resource_id, project_id=call.project_id)
    metadata = body.get("metadata") or {}
    check_metadata_size(metadata, limit=call.settings.max_metadata_items, resource="snapshot")
    volume = volumes.get(call, body["volume_id"])
    backend_host = volume.backend_host
    if backend_host is None:
        raise InvalidRequest(f"Invalid volume: volume {volume.id} is on no backend.")
    claim = next((edge(e) for e in ("snapshot.begin", "snapshot_in_use.begin") if volume.status in edge(e)[0]), None)
    if claim is None:
        raise InvalidRequest(f"Invalid volume: volume {volume.id} is {volume.status}; a snapshot is managed "
                             "for an available or in-use volume.")
    found = _checked(call, backend_host, kind=SNAPSHOTS, ref=body["ref"], prefix="_snapshot-")
    if found["size_gb"] > volume.size_gb:
        raise BadRequest(f"Invalid input received: {found['name']} holds {found['size_gb']} GB, more than its "
                         f"volume {volume.id} ({volume.size_gb} GB).")
    volumes.require_thawed(call, backend_host)
    snapshot = db.snapshot_create(
        project_id=volume.project_id, user_id=call.ctx.user_id, volume_id=volume.id, volume_version=volume.version,
        volume_claim=claim, status=SnapshotStatus.MANAGING, name=body.get("name"),
        description=body.get("description"), metadata=metadata, idempotency=call.idempotency(),
        quota_defaults=call.settings.quota_defaults)
    log.info("snapshot %s: managing %s of volume %s", snapshot.id, found["name"], volume.id)
    try:
        VolumeClient().manage_snapshot(call.ctx, backend_host, snapshot_id=snapshot.id, name=found["name"])
    except ServiceUnavailable as error:
        log.warning("snapshot %s: could not ask for its manage: %s", snapshot.id, error.detail)
        db.snapshot_transition(snapshot.id, snapshot_edge("manage.fail"),
                               status_reason=str(error)[:snapshots.MAX_REASON])
        raise disclosure.unavailable(call, error) from error
    return snapshot


def manageable(call: ApiCall, kind: str, query: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The backend's manageable ``kind``, sorted and paged as Cinder pages them (marker: a source-name)."""
    backend_host, _ = _pools_of(query.get("host"), query.get("cluster"))
    answer = _ask(call, backend_host, kind=kind, name=None)
    if "error" in answer:
        raise InvalidRequest(disclosure.for_caller(call, "The backend could not list what it holds.",
                                                   str(answer["error"])))
    entries: list[dict[str, Any]] = list(answer.get("entries") or [])
    for key, direction in reversed(_sort(query)):
        entries.sort(key=_sort_key(key), reverse=direction == "desc")
    marker = query.get("marker")
    if marker is not None:
        names = [e["reference"].get("source-name") for e in entries]
        if marker not in names:
            raise BadRequest(f"Invalid input received: marker {marker} not found.")
        entries = entries[names.index(marker) + 1:]
    offset = int(query.get("offset") or 0)
    limit = query.get("limit")
    limit = call.settings.max_limit if limit is None else min(int(limit), call.settings.max_limit)
    return entries[offset:offset + limit]


def _sort_key(key: str) -> Callable[[dict[str, Any]], Any]:
    if key == "size":
        return lambda entry: int(entry["size"])
    return lambda entry: str(entry["reference"].get("source-name"))


def _sort(query: Mapping[str, Any]) -> list[tuple[str, str]]:
    if query.get("sort"):
        pairs = [part.partition(":") for part in str(query["sort"]).split(",")]
        return [(key, direction or "desc") for key, _, direction in pairs]
    keys = str(query.get("sort_key") or "reference").split(",")
    dirs = str(query.get("sort_dir") or "desc").split(",")
    return [(key, dirs[i] if i < len(dirs) else dirs[-1]) for i, key in enumerate(keys)]
