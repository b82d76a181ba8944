"""Volume migration on the api side: os-migrate_volume, os-migrate_volume_completion, and the retype
that moves a volume (migration_policy on-demand).

The checks Cinder makes (an admin's destination that is up and not the volume's own backend, a
volume without snapshots and not mid-migration), then one swap that holds the volume (maintenance
for a migration, retyping for a retype) with its destination kept on the row, then the cast to the
source's active, which copies, compares and swaps (``volume/migration.py``). Only available volumes
move: Cinder moves an attached one through Nova's swap of the guest's disk, and ember has no Nova.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from api.actions import disclosure
from api.actions.volumes import get, require_thawed
from api.errors import BadRequest
from api.request import ApiCall
from common.capabilities import satisfies
from db import api as db
from db.records import Pool, Volume, VolumeType
from rpc.errors import ServiceUnavailable
from volume.client import BINARY as VOLUME_BINARY
from volume.client import VolumeClient
from volume.errors import VolumeStateConflict
from volume.states.volumes import MigrationStatus, Status, edge

log = logging.getLogger(__name__)

CLUSTER_SINCE = 16  # 3.16: a cluster may name the destination instead of a host
# a migration may start again only when none ran yet or the last one ended
RESTARTABLE = frozenset({None, str(MigrationStatus.ERROR), str(MigrationStatus.SUCCESS)})
ATTACHED_REFUSAL = ("Invalid volume: volume {id} is {status}; ember moves only available volumes between "
                    "backends (Cinder moves an attached one through Nova's swap of the guest's disk, and ember "
                    "runs without Nova). Detach it first.")


def migrate(call: ApiCall, volume_id: str, *, host: str | None, cluster: str | None) -> Volume:
    """os-migrate_volume (admin): move the volume to ``host`` (or ``cluster``), always by a host copy."""
    if cluster is not None and not call.since(CLUSTER_SINCE):
        raise BadRequest("Invalid input received: cluster needs microversion 3.16 or later.")
    if (host is None) == (cluster is None):
        raise BadRequest("Invalid input received: give exactly one of host and cluster.")
    destination_name = host or cluster
    assert destination_name is not None
    volume = get(call, volume_id)
    _movable(volume)
    pool = _destination_pool(call, destination_name)
    if pool.backend_host == volume.backend_host:
        raise BadRequest("Invalid host: Destination host must be different than the current host.")
    _room(pool, volume)
    return _begin(call, volume, pool, event="migrate", new_type=None)


def retype_elsewhere(call: ApiCall, volume: Volume, target: VolumeType) -> Volume:
    """os-retype with migration_policy on-demand, the volume's pool not meeting ``target``: move it to a
    pool of another backend that does (the one with the most room), taking the type at the swap."""
    _movable(volume)
    pools = [p for p in _live_pools(call) if p.backend_host != volume.backend_host
             and satisfies(p.capabilities, p.volume_backend_name, target.extra_specs) and _fits(p, volume)]
    if not pools:
        raise BadRequest(f"Invalid volume: no other backend that is up meets volume type {target.name} and has "
                         f"room for volume {volume.id} ({volume.size_gb} GB).")
    pool = max(pools, key=_room_gb)
    return _begin(call, volume, pool, event="retype", new_type=target)


def complete(call: ApiCall, volume_id: str, *, new_volume_id: str, error: bool) -> str:
    """os-migrate_volume_completion: Nova's call after it swapped an attached volume's data.

    ember's migrations complete themselves (the volume keeps its id and no second volume exists), so
    this answers as Cinder does to a call about volumes that are not mid-migration with each other."""
    volume = get(call, volume_id)
    new_volume = get(call, new_volume_id)
    if volume.migration_status is None:
        raise BadRequest("Invalid volume: Source volume not mid-migration.")
    if new_volume.migration_status is None or new_volume.id == volume.id:
        raise BadRequest("Invalid volume: Destination volume not mid-migration.")
    raise BadRequest(f"Invalid volume: Destination has migration_status {new_volume.migration_status}, expected "
                     f"target:{volume.id}.")


def _movable(volume: Volume) -> None:
    if volume.status in (Status.IN_USE, Status.ATTACHING, Status.RESERVED, Status.DETACHING):
        raise BadRequest(ATTACHED_REFUSAL.format(id=volume.id, status=volume.status))
    if volume.migration_status not in RESTARTABLE:
        raise BadRequest(f"Invalid volume: Volume {volume.id} is already part of an active migration.")
    sources = edge("migrate.begin")[0]
    if volume.status not in sources:
        raise VolumeStateConflict("volume", volume.id, "migrate it", sources, volume.status)
    if volume.backend_host is None:
        raise BadRequest(f"Invalid volume: volume {volume.id} is on no backend.")
    if db.snapshot_list(project_id=None, filters={"volume_id": volume.id}, limit=1):
        raise BadRequest("Invalid volume: Volume must not have snapshots.")


def _live_pools(call: ApiCall) -> list[Pool]:
    """Pools whose backend has an enabled volume service that beat within service_down_time."""
    since = datetime.now(UTC).replace(tzinfo=None) - timedelta(seconds=call.settings.service_down_time_s)
    up = {s.host for s in db.service_list(binary=VOLUME_BINARY)
          if not s.disabled and not s.frozen and s.heartbeat_at >= since}
    return [p for p in db.pool_list() if p.backend_host in up]


def _destination_pool(call: ApiCall, name: str) -> Pool:
    """The pool ``name`` names (host@backend#pool), or the first pool of the backend it names (host@backend)."""
    for pool in _live_pools(call):
        if name in (pool.name, pool.backend_host):
            return pool
    raise BadRequest(f"Invalid host: No available service named {name}")


def _room_gb(pool: Pool) -> float:
    usable = pool.total_capacity_gb * (1 - pool.reserved_percentage / 100.0)
    if pool.thin_provisioning_support:
        usable *= pool.max_over_subscription_ratio
    return usable - pool.allocated_capacity_gb


def _fits(pool: Pool, volume: Volume) -> bool:
    return _room_gb(pool) >= volume.size_gb


def _room(pool: Pool, volume: Volume) -> None:
    if not _fits(pool, volume):
        raise BadRequest(f"Invalid host: {pool.name} has no room for volume {volume.id} ({volume.size_gb} GB).")


def _begin(call: ApiCall, volume: Volume, pool: Pool, *, event: str, new_type: VolumeType | None) -> Volume:
    require_thawed(call, volume.backend_host)
    begin = edge(f"{event}.begin")
    moved = db.volume_transition(volume.id, begin, expected_version=volume.version,
                                 migration_status=str(MigrationStatus.STARTING), migration_host=pool.name,
                                 migration_type_id=new_type.id if new_type else None, status_reason=None)
    if moved is None:
        raise VolumeStateConflict("volume", volume.id, f"{event} it", begin[0])
    log.info("volume %s: %s -> %s, moving from %s to %s", volume.id, volume.status, moved.status, volume.host,
             pool.name)
    assert volume.backend_host is not None
    try:
        VolumeClient().migrate_volume(call.ctx, volume.backend_host, volume_id=volume.id)
    except ServiceUnavailable as error:
        log.warning("volume %s: could not ask for its migration: %s", volume.id, error.detail)
        db.volume_transition(volume.id, edge(f"{event}.fail"), migration_status=str(MigrationStatus.ERROR),
                             migration_host=None, migration_type_id=None)
        raise disclosure.unavailable(call, error) from error
    return moved
