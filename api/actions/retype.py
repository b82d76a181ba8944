"""os-retype on the api side: give a volume another type where it lies, or move it where the type fits.

The retype happens in place when the volume's own pool meets the new type's extra specs (the
scheduler's CapabilitiesFilter, from the pool's last report). Otherwise, as Cinder, migration_policy
on-demand moves the volume to a backend that does (``api/actions/migration.py``: it takes the type at
the swap), and never (the default) refuses with a 400.
"""

from __future__ import annotations

import logging
from typing import NoReturn

from api.actions import migration, types
from api.actions.volumes import get, require_thawed
from api.errors import BadRequest
from api.request import ApiCall
from common.capabilities import satisfies
from db import api as db
from db.records import Volume, VolumeType
from volume.errors import VolumeStateConflict
from volume.states.volumes import Status

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
    if not _pool_meets(volume, target):
        if migration_policy == "on-demand" and volume.host is not None:
            return migration.retype_elsewhere(call, volume, target)
        _refuse(volume, target, migration_policy or "never")
    moved = db.volume_retype(volume.id, expected_version=volume.version, volume_type_id=target.id,
                             multiattach=multiattach, quota_defaults=call.settings.quota_defaults)
    if moved is None:
        raise VolumeStateConflict("volume", volume.id, "retype it", RETYPABLE)
    log.info("volume %s: retyped from type %s to %s in place", volume.id, volume.volume_type_id, target.id)
    return moved


def _pool_meets(volume: Volume, target: VolumeType) -> bool:
    pool = next((p for p in db.pool_list() if p.name == volume.host), None)
    return pool is not None and satisfies(pool.capabilities, pool.volume_backend_name, target.extra_specs)


def _refuse(volume: Volume, target: VolumeType, migration_policy: str) -> NoReturn:
    where = "no backend yet" if volume.host is None else "a pool that does not meet its extra specs"
    moving = "" if migration_policy == "on-demand" else \
        " With migration_policy on-demand it moves to a backend that does."
    raise BadRequest(f"Invalid volume: volume {volume.id} is on {where} for volume type {target.name}; "
                     f"it can be retyped only where it lies.{moving}")
