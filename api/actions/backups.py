"""Backup requests on the api side: check, then one compare-and-swap that claims the volume and records the
work; a backup service takes it from the database (``db.backup_take``), so nothing is cast.

A request that loses its swap raises VolumeStateConflict (400) and has changed nothing.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import uuid
from dataclasses import dataclass, replace
from typing import Any

from api.actions import volumes as volume_actions
from api.errors import BadRequest
from api.request import ApiCall
from api.schemas import VolumeCreate
from api.validation import check_metadata_size
from common import binaries
from db import api as db
from db import errors as db_errors
from db.records import Backup, Volume
from rpc.errors import ServiceUnavailable
from volume.errors import InvalidRequest, VolumeStateConflict
from volume.states.backups import BACKUP_RESETTABLE, BackupStatus, backup_edge
from volume.states.volumes import Status, edge

log = logging.getLogger(__name__)

ALL_STATUSES = frozenset(str(s) for s in BackupStatus)
# what an exported record names as the service that made it: in Cinder's namespace, as its clients and Tempest
# expect, though the record is ember's (only ember imports it); records exported as "ember.backup" still import
BACKUP_SERVICE = "cinder.backup.drivers.ember"
IMPORTABLE_SERVICES = frozenset({BACKUP_SERVICE, "ember.backup"})
LEASE_PREFIX = "backup:"  # the backup services' leases (backup.manager.LEASE_PREFIX)


@dataclass(frozen=True)
class BackupCreate:
    volume_id: str
    name: str | None
    description: str | None
    container: str | None
    incremental: bool
    force: bool
    snapshot_id: str | None
    metadata: dict[str, str]
    availability_zone: str | None


def get(call: ApiCall, backup_id: str) -> Backup:
    return call.take("backup", backup_id) or db.backup_get(backup_id, project_id=call.scope_project())


def create(call: ApiCall, request: BackupCreate) -> Backup:
    if call.replay_resource_id is not None:
        return db.backup_get(call.replay_resource_id, project_id=call.project_id)
    check_metadata_size(request.metadata, limit=call.settings.max_metadata_items, resource="backup")
    volume = db.volume_get(request.volume_id, project_id=call.scope_project())
    claim = edge("backup.begin")
    if volume.status == Status.IN_USE and not request.force:
        raise InvalidRequest(f"Invalid volume: Backing up an in-use volume must use the force flag "
                             f"(volume {volume.id}).")
    if volume.status not in claim[0]:
        raise VolumeStateConflict("volume", volume.id, "back it up", claim[0], volume.status)
    if volume.backend_host is None:
        raise InvalidRequest(f"Invalid volume: volume {volume.id} is on no backend, so it cannot be backed up.")
    if request.snapshot_id:
        snapshot = db.snapshot_get(request.snapshot_id, project_id=call.scope_project())
        if snapshot.volume_id != volume.id:
            raise InvalidRequest(f"Invalid snapshot: snapshot {snapshot.id} is not of volume {volume.id}.")
        if snapshot.status != "available":
            raise VolumeStateConflict("snapshot", snapshot.id, "back it up", {"available"}, snapshot.status)
    _require_backup_service()
    parent_id = None
    if request.incremental:
        parent = db.backup_latest(volume.id)
        if parent is None:
            raise InvalidRequest("Invalid backup: No backups available to do an incremental backup.")
        parent_id = parent.id
    backup = db.backup_create(
        project_id=volume.project_id, user_id=call.ctx.user_id, volume_id=volume.id, volume_version=volume.version,
        volume_claim=claim, status=BackupStatus.CREATING, size_gb=volume.size_gb, name=request.name,
        description=request.description, container=request.container, metadata=request.metadata,
        availability_zone=request.availability_zone or volume.availability_zone, parent_id=parent_id,
        snapshot_id=request.snapshot_id, idempotency=call.idempotency(), quota_defaults=call.settings.quota_defaults)
    log.info("backup %s of volume %s: waiting for a backup service%s", backup.id, volume.id,
             f" (incremental on {parent_id})" if parent_id else "")
    return backup


def _require_backup_service() -> None:
    """Cinder answers 503 when no backup service is up: the request would wait for nobody."""
    if not db.backup_hosts_alive(LEASE_PREFIX):
        raise ServiceUnavailable("Service ember-backup could not be found.", detail="no backup service holds a lease")


def update(call: ApiCall, backup_id: str, *, values: dict[str, Any]) -> Backup:
    if "metadata" in values:
        check_metadata_size(values["metadata"], limit=call.settings.max_metadata_items, resource="backup")
    return db.backup_update(backup_id, project_id=call.scope_project(), **values)


def children(backup: Backup) -> int:
    return db.backup_children(backup.id)


def delete(call: ApiCall, backup_id: str) -> None:
    _delete(call, get(call, backup_id), event="delete.begin", action="delete it")


def force_delete(call: ApiCall, backup_id: str) -> None:
    _delete(call, db.backup_get(backup_id), event="force_delete.begin", action="force-delete it")


def _delete(call: ApiCall, backup: Backup, *, event: str, action: str) -> None:
    sources, _ = begin = backup_edge(event)
    if backup.status not in sources:
        raise VolumeStateConflict("backup", backup.id, action, sources, backup.status)
    if db.backup_children(backup.id):
        raise InvalidRequest(f"Invalid backup: Incremental backups exist for this backup (backup {backup.id}); "
                             "delete them first.")
    revoke = None
    if event == "force_delete.begin":
        _refuse_if_held(backup)
        revoke = db.HolderCheck(binary=binaries.BACKUP, alive_within_s=call.settings.service_down_time_s)
    if db.transition("backup", backup.id, begin, guard=db.Guard(expected_version=backup.version, revoke=revoke),
                     effects=db.Effects(values={"status_reason": None, "host": None, "progress": 0},
                                        volume_edges=_volume_release(backup))) is None:
        raise VolumeStateConflict("backup", backup.id, action, sources)


def _volume_release(backup: Backup) -> tuple[tuple[frozenset[str], str], ...]:
    """A force delete of a running backup gives its volume back (the service holding it is dead)."""
    if backup.status == BackupStatus.CREATING:
        return (edge("backup.fail"),)
    if backup.status == BackupStatus.RESTORING:
        return (edge("restore.fail"),)
    return ()


def _refuse_if_held(backup: Backup) -> None:
    """A backup a live backup service works on is not changed under it (as for volumes: 409 Busy)."""
    if backup.host and backup.status in {BackupStatus.CREATING, BackupStatus.RESTORING, BackupStatus.DELETING} \
            and backup.host not in db.backup_hosts_expired(backup.host):
        raise db_errors.Busy("backup", backup.id, operation=str(backup.status), holder=backup.host,
                             backend_host=backup.host, started_at=backup.updated_at or backup.created_at)


def reset_status(call: ApiCall, backup_id: str, *, status: str) -> None:
    backup = db.backup_get(backup_id)
    _refuse_if_held(backup)
    revoke = db.HolderCheck(binary=binaries.BACKUP, alive_within_s=call.settings.service_down_time_s)
    if db.transition("backup", backup.id, (ALL_STATUSES - {BackupStatus.DELETED}, status),
                     guard=db.Guard(expected_version=backup.version, revoke=revoke),
                     effects=db.Effects(values={"status_reason": None, "host": None},
                                        volume_edges=_volume_release(backup))) is None:
        raise VolumeStateConflict("backup", backup.id, "reset its status", ALL_STATUSES)
    log.info("backup %s: status reset from %s to %s by an admin", backup.id, backup.status, status)


assert BACKUP_RESETTABLE <= ALL_STATUSES


def restore(call: ApiCall, backup_id: str, *, volume_id: str | None, name: str | None) -> tuple[Backup, Volume]:
    backup = get(call, backup_id)
    begin = backup_edge("restore.begin")
    if backup.status not in begin[0]:
        raise VolumeStateConflict("backup", backup.id, "restore it", begin[0], backup.status)
    _require_backup_service()
    if volume_id is None:
        volume = volume_actions.create(replace(call, idempotency_claim=None, replay_resource_id=None), VolumeCreate(
            size_gb=backup.size_gb, name=name or f"restore_backup_{backup.id}", description=None, volume_type=None,
            availability_zone=None, metadata={}, snapshot_id=None, source_volid=None, multiattach=False))
        volume_edge = None  # claimed by the backup service once it is created
    else:
        volume = volume_actions.get(call, volume_id)
        volume_edge = edge("restore.begin")
        if volume.status not in volume_edge[0]:
            raise VolumeStateConflict("volume", volume.id, "restore a backup into it", volume_edge[0], volume.status)
        if volume.size_gb < backup.size_gb:
            raise InvalidRequest(f"Invalid volume: volume size {volume.size_gb} is too small to restore backup of "
                                 f"size {backup.size_gb}.")
    started = db.backup_restore_begin(backup.id, backup_edge=begin, backup_version=backup.version,
                                      volume_id=volume.id, volume_edge=volume_edge,
                                      volume_version=volume.version if volume_edge else None)
    if started is None:
        raise VolumeStateConflict("backup", backup.id, "restore it", begin[0])
    return started, volume


def restore_into_new(call: ApiCall, backup: Backup, volume: Volume) -> None:
    """Volume create from a backup (3.47): the new volume is restored once it is created."""
    begin = backup_edge("restore.begin")
    if db.backup_restore_begin(backup.id, backup_edge=begin, backup_version=backup.version, volume_id=volume.id,
                               volume_edge=None) is None:
        raise VolumeStateConflict("backup", backup.id, "restore it", begin[0])


def export_record(call: ApiCall, backup_id: str) -> dict[str, str]:
    backup = db.backup_get(backup_id)
    if backup.status != BackupStatus.AVAILABLE:
        raise VolumeStateConflict("backup", backup.id, "export it", {"available"}, backup.status)
    record = {"id": backup.id, "volume_id": backup.volume_id, "size_gb": backup.size_gb, "name": backup.name,
              "description": backup.description, "container": backup.container, "parent_id": backup.parent_id,
              "object_count": backup.object_count, "project_id": backup.project_id}
    url = base64.b64encode(json.dumps(record, sort_keys=True).encode()).decode()
    return {"backup_service": BACKUP_SERVICE, "backup_url": url}


def import_record(call: ApiCall, *, backup_service: str, backup_url: str) -> Backup:
    if backup_service not in IMPORTABLE_SERVICES:
        raise InvalidRequest(f"Invalid backup: Unsupported backup service {backup_service!r}; this cloud imports "
                             f"records of {BACKUP_SERVICE!r}.")
    try:
        record = json.loads(base64.b64decode(backup_url, validate=True))
        backup_id, size_gb = str(uuid.UUID(str(record["id"]))), int(record["size_gb"])
        object_count = int(record.get("object_count") or 0)
        if not 0 < size_gb < 2**31 or not 0 <= object_count < 2**31:
            raise ValueError(f"size_gb {size_gb}, object_count {object_count}")
    except (binascii.Error, ValueError, KeyError, TypeError, AttributeError) as error:
        raise BadRequest(f"Invalid input received: the backup_url is not a backup record ({error}).") from None
    try:
        existing = db.backup_get(backup_id)
    except db_errors.NotFound:
        existing = None
    if existing is not None:
        raise InvalidRequest(f"Invalid backup: Backup {backup_id} already exists.")
    return db.backup_import(backup_id=backup_id, project_id=call.project_id, user_id=call.ctx.user_id,
                            volume_id=_text(record.get("volume_id"), 36) or "0" * 32, size_gb=size_gb,
                            name=_text(record.get("name")), description=_text(record.get("description")),
                            container=_text(record.get("container")), parent_id=_text(record.get("parent_id"), 36),
                            object_count=object_count,
                            quota_defaults=call.settings.quota_defaults)


def _text(value: object, limit: int = 255) -> str | None:
    return None if value is None else str(value)[:limit]
