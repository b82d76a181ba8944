"""Volume rows: create with quota, compare-and-swap transitions, placement, soft delete."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from db import errors, models
from db.api import pools, quotas, transitions
from db.api._common import cas_update, get_one, list_query, new_id, project_scope, utcnow
from db.api.backends import fence
from db.api.idempotency import bind_resource
from db.api.settle import SettleRule
from db.api.transitions import Effects, Guard
from db.api.work import HolderCheck
from db.models import table_of
from db.records import IdempotencyClaim, Volume, WorkClaim, from_row, from_rows
from db.session import reader, retry_on_conflict, writer

_volumes = table_of(models.Volume)
_snapshots = table_of(models.Snapshot)
_groups = table_of(models.Group)

Edge = tuple[frozenset[str], str]

SORT_KEYS = frozenset({"id", "name", "status", "size_gb", "created_at", "updated_at", "availability_zone",
                       "host", "bootable", "volume_type_id", "project_id"})
FILTER_KEYS = frozenset({"name", "status", "availability_zone", "bootable", "volume_type_id", "host",
                         "snapshot_id", "source_volid", "attach_status", "project_id", "multiattach", "group_id"})


def volume_create(*, project_id: str, user_id: str, size_gb: int, status: str, availability_zone: str,
                  name: str | None = None, description: str | None = None,
                  volume_type_id: str | None = None, metadata: Mapping[str, str] | None = None,
                  bootable: bool = False, multiattach: bool = False,
                  snapshot: tuple[str, int, Edge] | None = None,
                  source_volume: tuple[str, int, Edge] | None = None,
                  volume_id: str | None = None, idempotency: IdempotencyClaim | None = None,
                  quota_defaults: quotas.Defaults | None = None, host: str | None = None,
                  group: tuple[str, Edge] | None = None) -> Volume:
    """Reserve quota, claim the source (snapshot or volume) by version, insert the row.

    ``snapshot``/``source_volume`` are (id, version read by the caller, claim edge); a source
    that changed since it was read raises Conflict, and nothing is written. ``host`` places the row
    at once (a manage: its data already lies on that pool, which counts it as allocated whatever room
    it reports). ``group`` is (id, the group statuses a volume may join it in): the group's version is
    bumped, so a racing group delete loses.
    """
    return _volume_create(volume_id or new_id(), project_id=project_id, user_id=user_id, size_gb=size_gb,
                          status=status, availability_zone=availability_zone, name=name,
                          description=description, volume_type_id=volume_type_id, metadata=metadata,
                          bootable=bootable, multiattach=multiattach, snapshot=snapshot,
                          source_volume=source_volume, idempotency=idempotency, quota_defaults=quota_defaults,
                          host=host, group=group)


@retry_on_conflict
def _volume_create(volume_id: str, *, project_id: str, user_id: str, size_gb: int, status: str,
                   availability_zone: str, name: str | None, description: str | None,
                   volume_type_id: str | None, metadata: Mapping[str, str] | None, bootable: bool,
                   multiattach: bool, snapshot: tuple[str, int, Edge] | None,
                   source_volume: tuple[str, int, Edge] | None,
                   idempotency: IdempotencyClaim | None, quota_defaults: quotas.Defaults | None,
                   host: str | None, group: tuple[str, Edge] | None) -> Volume:
    # the id is fixed across retries: if a try whose COMMIT lost its connection did commit, we find it
    with writer() as conn:
        existing = conn.execute(sa.select(_volumes).where(_volumes.c.id == volume_id)).first()
        if existing is not None:
            return from_row(Volume, existing)
        if snapshot is not None:
            snap_id, version, (sources, target) = snapshot
            if not cas_update(conn, _snapshots, snap_id, sources=sources, expected_version=version,
                              values={"status": target}):
                raise errors.Conflict(f"Snapshot {snap_id} changed while the volume was being created "
                                      f"from it; it must be in status {sorted(sources)}.")
        if source_volume is not None:
            src_id, version, (sources, target) = source_volume
            # a clone source keeps its status (an in-use one stays in-use): the claim is the version bump
            if not cas_update(conn, _volumes, src_id, sources=sources, expected_version=version, values={}):
                raise errors.Conflict(f"Source volume {src_id} changed while it was being cloned; "
                                      f"it must be in status {sorted(sources)}.")
        if group is not None:
            group_id, (group_sources, _) = group
            if not cas_update(conn, _groups, group_id, sources=group_sources, values={}):
                raise errors.Conflict(f"Group {group_id} changed while a volume was being created in it; it must "
                                      f"be in status {sorted(group_sources)}.")
        quotas.reserve(conn, project_id, quotas.typed({"volumes": 1, "gigabytes": size_gb}, volume_type_id),
                       quota_defaults)
        if host is not None:
            pools.allocate(conn, host, size_gb)
        conn.execute(sa.insert(_volumes).values(
            id=volume_id, host=host, project_id=project_id, user_id=user_id, name=name, description=description,
            size_gb=size_gb, status=status, version=1, availability_zone=availability_zone,
            volume_type_id=volume_type_id, snapshot_id=snapshot[0] if snapshot else None,
            source_volid=source_volume[0] if source_volume else None, bootable=bootable,
            multiattach=multiattach, metadata=dict(metadata or {}), attach_status="detached",
            created_at=utcnow(), deleted=False, group_id=group[0] if group else None))
        bind_resource(conn, idempotency, volume_id)
        return from_row(Volume, get_one(conn, _volumes, volume_id, resource="Volume"))


@retry_on_conflict
def volume_get(volume_id: str, *, project_id: str | None = None) -> Volume:
    with reader() as conn:
        return from_row(Volume, get_one(conn, _volumes, volume_id, resource="Volume", project_id=project_id))


def _filters(project_id: str | None, filters: Mapping[str, Any]) -> list[Any]:
    where: list[Any] = [_volumes.c.deleted == sa.false()]
    if project_id is not None:
        where.append(_volumes.c.project_id == project_id)
    for key, value in filters.items():
        if key == "metadata":
            continue  # JSON matching is done by the caller on the (small) page
        if key == "name~":
            where.append(_volumes.c.name.like(f"%{value}%"))
        elif key in FILTER_KEYS:
            where.append(_volumes.c[key] == value)
    return where


@retry_on_conflict
def volumes_by_id(volume_ids: Iterable[str]) -> dict[str, Volume]:
    """The live volumes among ``volume_ids``, by id, in one query."""
    ids = sorted(set(volume_ids))
    if not ids:
        return {}
    with reader() as conn:
        rows = conn.execute(sa.select(_volumes).where(_volumes.c.id.in_(ids), _volumes.c.deleted == sa.false()))
        return {volume.id: volume for volume in from_rows(Volume, rows)}


@retry_on_conflict
def volume_list(*, project_id: str | None, filters: Mapping[str, Any] | None = None,
                sort: Sequence[tuple[str, str]] = (("created_at", "desc"),), limit: int | None = None,
                marker: str | None = None, offset: int | None = None) -> list[Volume]:
    with reader() as conn:
        rows = list_query(conn, _volumes, resource="volume", where=_filters(project_id, filters or {}),
                          sort=sort, limit=limit, marker=marker, offset=offset,
                          marker_scope=project_scope(_volumes, project_id))
    return from_rows(Volume, rows)


@retry_on_conflict
def volume_count(*, project_id: str | None, filters: Mapping[str, Any] | None = None) -> int:
    with reader() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(_volumes)
                                .where(*_filters(project_id, filters or {}))).scalar_one())


@retry_on_conflict
def volume_revert_begin(volume_id: str, edge: Edge, *, expected_version: int, snapshot_id: str,
                        snapshot_version: int, snapshot_edge: Edge) -> Volume | None:
    """Claim the snapshot (at ``snapshot_version``) and move the volume (at ``expected_version``) along
    ``edge`` in one transaction; None, with nothing written, if either changed since it was read."""
    with writer() as conn:
        if not cas_update(conn, _snapshots, snapshot_id, sources=snapshot_edge[0], expected_version=snapshot_version,
                          extra_where=[_snapshots.c.volume_id == volume_id], values={"status": snapshot_edge[1]}):
            return None
        if not cas_update(conn, _volumes, volume_id, sources=edge[0], expected_version=expected_version,
                          values={"status": edge[1], "status_reason": None}):
            raise errors.Conflict(f"Volume {volume_id} changed while its revert was being requested.")
        return from_row(Volume, get_one(conn, _volumes, volume_id, resource="Volume"))


def volume_transition(volume_id: str, edge: Edge, *, expected_version: int | None = None,
                      project_id: str | None = None, quota: Mapping[str, int] | None = None,
                      pool_claim_gb: float = 0, claim: WorkClaim | None = None, revoke: HolderCheck | None = None,
                      release_pending: bool = False, quota_defaults: quotas.Defaults | None = None,
                      settle: SettleRule | None = None, **values: Any) -> Volume | None:
    """Move the volume along ``edge``: ``transitions.transition`` with its guards and effects by name.

    Returns the changed volume, or None if another request got there first.
    """
    changed: Volume | None = transitions.transition(
        "volume", volume_id, edge,
        guard=Guard(expected_version=expected_version, project_id=project_id, claim=claim, revoke=revoke),
        effects=Effects(values=values, settle=settle, release_pending=release_pending, quota=quota,
                        quota_defaults=quota_defaults, pool_claim_gb=pool_claim_gb))
    return changed


@retry_on_conflict
def volume_retype(volume_id: str, *, expected_version: int, volume_type_id: str, multiattach: bool,
                  quota_defaults: quotas.Defaults | None = None) -> Volume | None:
    """Give the volume (at ``expected_version``, status unchanged) another type and move what it and its
    snapshots hold of the old type's quota keys to the new type's; QuotaExceeded if the new type's limits
    cannot hold them. None, with nothing written, if the volume changed since it was read."""
    with writer() as conn:
        before = conn.execute(sa.select(_volumes).where(_volumes.c.id == volume_id,
                                                        _volumes.c.deleted == sa.false())).first()
        if before is None or before.version != expected_version:
            return None
        if not cas_update(conn, _volumes, volume_id, sources=None, expected_version=expected_version,
                          values={"volume_type_id": volume_type_id, "multiattach": multiattach}):
            return None
        transitions.move_type_usage(conn, before, volume_type_id, quota_defaults)
        return from_row(Volume, get_one(conn, _volumes, volume_id, resource="Volume"))


@retry_on_conflict
def volume_update(volume_id: str, *, project_id: str | None, **values: Any) -> Volume:
    """Change descriptive fields (name, description, metadata, bootable); never the status."""
    with writer() as conn:
        if not cas_update(conn, _volumes, volume_id, sources=None, project_id=project_id, values=values):
            raise errors.NotFound("Volume", volume_id)
        return from_row(Volume, get_one(conn, _volumes, volume_id, resource="Volume"))


@retry_on_conflict
def volume_schedule(volume_id: str, *, pool_name: str, size_gb: int, creating_status: str) -> bool:
    """Place a ``creating`` volume on ``pool_name``, claiming its capacity, in one transaction.

    False if the pool is full or the volume is already placed (a redelivered request) or gone.
    """
    try:
        with writer() as conn:
            _place(conn, volume_id, pool_name=pool_name, size_gb=size_gb, creating_status=creating_status)
    except _NotPlaced:
        return False
    return True


class _NotPlaced(Exception):
    """Raised inside the placement transaction so that it rolls back."""


_PLACE = (sa.update(_volumes).where(_volumes.c.id == sa.bindparam("_id"), _volumes.c.status == sa.bindparam("_status"),
                                    _volumes.c.host.is_(None), _volumes.c.deleted == sa.false())
          .values(host=sa.bindparam("_pool"), updated_at=sa.bindparam("_now", type_=_volumes.c.updated_at.type),
                  version=_volumes.c.version + 1))


def _place(conn: Any, volume_id: str, *, pool_name: str, size_gb: int, creating_status: str) -> None:
    placed = conn.execute(_PLACE, {"_id": volume_id, "_status": creating_status, "_pool": pool_name,
                                   "_now": utcnow()}).rowcount == 1
    if not placed or not pools.claim(conn, pool_name, size_gb):
        raise _NotPlaced


def volume_destroy(volume_id: str, edge: Edge, *, claim: WorkClaim | None = None) -> Volume | None:
    """Soft-delete the volume along ``edge`` (delete.done) and give back its quota and pool capacity
    (its charged size: a pending extend's target counts). None if it is not in one of the edge's
    sources. ``claim`` is the deleting service's, ended in the same transaction (ClaimLost if taken)."""
    changed: Volume | None = transitions.transition("volume", volume_id, edge, guard=Guard(claim=claim),
                                                    effects=Effects(destroy=True))
    return changed


@retry_on_conflict
def volume_list_stale(*, statuses: frozenset[str], older_than_s: float, backend_host: str | None = None,
                      unplaced: bool = False, limit: int = 100) -> list[Volume]:
    """Volumes sitting in one of ``statuses`` untouched for ``older_than_s`` seconds.

    ``backend_host`` limits to volumes placed on that backend; ``unplaced`` to those no
    scheduler has placed yet. This is how stuck work is found again after a crash.
    """
    where = [_volumes.c.deleted == sa.false(), _volumes.c.status.in_(sorted(statuses)),
             sa.func.coalesce(_volumes.c.updated_at, _volumes.c.created_at)
             < utcnow() - timedelta(seconds=older_than_s)]
    if unplaced:
        where.append(_volumes.c.host.is_(None))
    if backend_host is not None:
        where.append(_volumes.c.host.startswith(f"{backend_host}#", autoescape=True))
    with reader() as conn:
        rows = conn.execute(sa.select(_volumes).where(*where).order_by(_volumes.c.created_at).limit(limit))
        return from_rows(Volume, rows)


@retry_on_conflict
def volume_exports(backend_host: str) -> list[Volume]:
    """The live volumes of ``backend_host`` that have an export on record (what ensure_export rebuilds)."""
    query = sa.select(_volumes).where(_volumes.c.deleted == sa.false(), _volumes.c.provider_location.is_not(None),
                                      _volumes.c.host.startswith(f"{backend_host}#", autoescape=True))
    with reader() as conn:
        return from_rows(Volume, conn.execute(query.order_by(_volumes.c.created_at)))


@retry_on_conflict
def volume_export_update(volume_id: str, *, provider_location: str | None, provider_auth: str | None,
                         backend_host: str, epoch: int) -> None:
    """Record (or, with None, forget) the volume's export, under the writer's epoch (Fenced once passed)."""
    with writer() as conn:
        fence(conn, backend_host, epoch)
        changed = conn.execute(sa.update(_volumes).where(_volumes.c.id == volume_id, _volumes.c.deleted == sa.false())
                               .values(provider_location=provider_location, provider_auth=provider_auth)).rowcount
        if not changed:
            raise errors.NotFound("Volume", volume_id)
