"""os-retype on the api side: give a volume another type where it lies, without moving its data.

Cinder asks its scheduler whether the volume's backend satisfies the new type and migrates the volume
when it does not (migration_policy on-demand). ember has no migration: the retype happens when the
volume's own pool meets the new type's extra specs (the scheduler's CapabilitiesFilter, from the pool's
last report), and is refused with a 400 otherwise, whatever the policy.
"""

from __future__ import annotations

import logging

from api.actions import types
from api.actions.volumes import get, require_thawed
from api.errors import BadRequest
from api.request import ApiCall
from common.capabilities import satisfies
from db import api as db
from db.records import Volume, VolumeType
from volume.errors import VolumeStateConflict
from volume.states import Status

log = logging.getLogger(__name__)

RETYPABLE = frozenset({Status.AVAILABLE, Status.IN_USE})  # Cinder's retype takes these two
POLICIES = ("never", "on-demand")


def retype(call: ApiCall, volume_id: str, *, new_type: str, migration_policy: str | None) -> Volume:
    volume = get(call, volume_id)
    target = types.visible(call, new_type)
    if target.id == volume.volume_type_id:
        raise BadRequest(f"Invalid input received: Retype requires a different volume type than the volume's "
                         f"({target.name}).")
    if volume.status not in RETYPABLE:
        raise VolumeStateConflict("volume", volume.id, "retype it", RETYPABLE, volume.status)
    multiattach = types.is_multiattach(target)
    if volume.status == Status.IN_USE and multiattach != volume.multiattach:
        raise BadRequest("Invalid volume: an attached volume cannot change whether it is multiattach.")
    require_thawed(call, volume.backend_host)
    _check_pool(volume, target, migration_policy or "never")
    moved = db.volume_retype(volume.id, expected_version=volume.version, volume_type_id=target.id,
                             multiattach=multiattach, quota_defaults=call.settings.quota_defaults)
    if moved is None:
        raise VolumeStateConflict("volume", volume.id, "retype it", RETYPABLE)
    log.info("volume %s: retyped from type %s to %s in place", volume.id, volume.volume_type_id, target.id)
    return moved


def _check_pool(volume: Volume, target: VolumeType, migration_policy: str) -> None:
    pool = next((p for p in db.pool_list() if p.name == volume.host), None)
    if pool is not None and satisfies(pool.capabilities, pool.volume_backend_name, target.extra_specs):
        return
    where = "no backend yet" if volume.host is None else "a pool that does not meet its extra specs"
    moving = " ember does not migrate volumes, so migration_policy on-demand cannot help." \
        if migration_policy == "on-demand" else ""
    raise BadRequest(f"Invalid volume: volume {volume.id} is on {where} for volume type {target.name}; "
                     f"it can be retyped only where it lies.{moving}")
