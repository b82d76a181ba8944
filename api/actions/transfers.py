"""Volume transfers on the api side: offer a volume, withdraw the offer, accept it with its key.

No volume service takes part: a transfer changes who owns the volume, not its data. A volume
awaiting transfer is at rest in a status no attach, extend, snapshot or delete starts from.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets

from api.actions import volumes
from api.errors import BadRequest
from api.request import ApiCall
from db import api as db
from db.records import Transfer, Volume
from volume.errors import InvalidRequest, VolumeStateConflict
from volume.states.snapshots import SnapshotStatus
from volume.states.volumes import edge

log = logging.getLogger(__name__)

NO_SNAPSHOTS_SINCE = 55
KEY_BYTES = 8  # 16 hex characters, the length of Cinder's keys


def _hash(salt: str, auth_key: str) -> str:
    return hashlib.sha256(f"{salt}{auth_key}".encode()).hexdigest()


def get(call: ApiCall, transfer_id: str) -> Transfer:
    return db.transfer_get(transfer_id, project_id=call.scope_project())


def create(call: ApiCall, *, volume_id: str, name: str | None, no_snapshots: bool | None) -> tuple[Transfer, str]:
    """The transfer and its key (shown this once: only a salted hash is kept)."""
    if no_snapshots is not None and not call.since(NO_SNAPSHOTS_SINCE):
        raise BadRequest("Invalid input for field/attribute no_snapshots: it needs microversion 3.55 or later.")
    volume = volumes.get(call, volume_id)
    sources, _ = begin = edge("transfer.begin")
    if volume.status not in sources:
        raise VolumeStateConflict("volume", volume.id, "transfer it", sources, volume.status)
    if not no_snapshots:
        _require_snapshots_available(volume)
    auth_key = secrets.token_hex(KEY_BYTES)
    salt = secrets.token_hex(KEY_BYTES)
    transfer = db.transfer_create(volume_id=volume.id, volume_version=volume.version, project_id=volume.project_id,
                                  edge=begin, name=name, salt=salt, key_hash=_hash(salt, auth_key),
                                  no_snapshots=bool(no_snapshots))
    log.info("volume %s: offered for transfer %s", volume.id, transfer.id)
    return transfer, auth_key


def _require_snapshots_available(volume: Volume) -> None:
    for snapshot in db.snapshot_list(project_id=None, filters={"volume_id": volume.id}):
        if snapshot.status != SnapshotStatus.AVAILABLE:
            raise InvalidRequest(f"Invalid snapshot: snapshot {snapshot.id} of volume {volume.id} is "
                                 f"{snapshot.status}; a transfer with its snapshots needs them all available.")


def delete(call: ApiCall, transfer_id: str) -> None:
    transfer = db.transfer_delete(transfer_id, project_id=call.scope_project(), volume_edge=edge("transfer.cancel"))
    log.info("volume %s: transfer %s withdrawn", transfer.volume_id, transfer.id)


def accept(call: ApiCall, transfer_id: str, *, auth_key: str) -> Transfer:
    """The volume (and its snapshots unless the transfer excludes them) become the caller's project's,
    with their quota. A wrong key is a 400 that changes nothing."""
    transfer = db.transfer_get(transfer_id)
    if not hmac.compare_digest(_hash(transfer.salt, auth_key), transfer.key_hash):
        raise InvalidRequest(f"Invalid auth key: Attempt to transfer {transfer.id} with invalid auth key.")
    accepted, volume = db.transfer_accept(transfer.id, project_id=call.project_id, user_id=call.ctx.user_id,
                                          volume_edge=edge("transfer.accept"),
                                          quota_defaults=call.settings.quota_defaults)
    log.info("volume %s: transferred from project %s to %s", volume.id, transfer.source_project_id,
             volume.project_id)
    return accepted
