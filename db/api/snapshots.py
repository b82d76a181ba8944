"""Snapshot rows: create (claiming the volume by version), transitions, soft delete."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from db import errors, models
from db.api import quotas, transitions
from db.api._common import cas_update, get_one, list_query, new_id, project_scope, utcnow
from db.api.idempotency import bind_resource
from db.api.transitions import Effects, Guard
from db.api.work import HolderCheck
from db.models import table_of
from db.records import IdempotencyClaim, Snapshot, WorkClaim, from_row, from_rows
from db.session import reader, retry_on_conflict, writer

_snapshots = table_of(models.Snapshot)
_volumes = table_of(models.Volume)

Edge = tuple[frozenset[str], str]

SORT_KEYS = frozenset({"id", "name", "status", "size_gb", "created_at", "updated_at", "volume_id", "project_id"})
FILTER_KEYS = frozenset({"name", "status", "volume_id", "project_id"})


def snapshot_create(*, project_id: str, user_id: str, volume_id: str, volume_version: int,
                    volume_claim: Edge, status: str, name: str | None = None,
                    description: str | None = None, metadata: Mapping[str, str] | None = None,
                    idempotency: IdempotencyClaim | None = None,
                    quota_defaults: quotas.Defaults | None = None) -> Snapshot:
    """Claim the volume (it must still be at ``volume_version``), reserve quota, insert the row."""
    return _snapshot_create(new_id(), project_id=project_id, user_id=user_id, volume_id=volume_id,
                            volume_version=volume_version, volume_claim=volume_claim, status=status, name=name,
                            description=description, metadata=metadata, idempotency=idempotency,
                            quota_defaults=quota_defaults)


@retry_on_conflict
def _snapshot_create(snapshot_id: str, *, project_id: str, user_id: str, volume_id: str, volume_version: int,
                     volume_claim: Edge, status: str, name: str | None, description: str | None,
                     metadata: Mapping[str, str] | None, idempotency: IdempotencyClaim | None,
                     quota_defaults: quotas.Defaults | None) -> Snapshot:
    # the id is fixed across retries: if a try whose COMMIT lost its connection did commit, we find it
    sources, target = volume_claim
    with writer() as conn:
        existing = conn.execute(sa.select(_snapshots).where(_snapshots.c.id == snapshot_id)).first()
        if existing is not None:
            return from_row(Snapshot, existing)
        if not cas_update(conn, _volumes, volume_id, sources=sources, expected_version=volume_version,
                          project_id=project_id, values={"status": target}):
            raise errors.Conflict(f"Volume {volume_id} changed while the snapshot was being requested; "
                                  f"it must be in status {sorted(sources)}.")
        size_gb, type_id = conn.execute(sa.select(_volumes.c.size_gb, _volumes.c.volume_type_id)
                                        .where(_volumes.c.id == volume_id)).one()
        quotas.reserve(conn, project_id, quotas.typed({"snapshots": 1, "gigabytes": size_gb}, type_id),
                       quota_defaults)
        conn.execute(sa.insert(_snapshots).values(
            id=snapshot_id, project_id=project_id, user_id=user_id, volume_id=volume_id, name=name,
            description=description, size_gb=size_gb, status=status, version=1, progress="0%",
            metadata=dict(metadata or {}), created_at=utcnow(), deleted=False))
        bind_resource(conn, idempotency, snapshot_id)
        return from_row(Snapshot, get_one(conn, _snapshots, snapshot_id, resource="Snapshot"))


@retry_on_conflict
def snapshot_get(snapshot_id: str, *, project_id: str | None = None) -> Snapshot:
    with reader() as conn:
        return from_row(Snapshot, get_one(conn, _snapshots, snapshot_id, resource="Snapshot",
                                          project_id=project_id))


def _filters(project_id: str | None, filters: Mapping[str, Any]) -> list[Any]:
    where: list[Any] = [_snapshots.c.deleted == sa.false()]
    if project_id is not None:
        where.append(_snapshots.c.project_id == project_id)
    for key, value in filters.items():
        if key in FILTER_KEYS:
            where.append(_snapshots.c[key] == value)
    return where


@retry_on_conflict
def snapshot_list(*, project_id: str | None, filters: Mapping[str, Any] | None = None,
                  sort: Sequence[tuple[str, str]] = (("created_at", "desc"),), limit: int | None = None,
                  marker: str | None = None, offset: int | None = None) -> list[Snapshot]:
    with reader() as conn:
        rows = list_query(conn, _snapshots, resource="snapshot", where=_filters(project_id, filters or {}),
                          sort=sort, limit=limit, marker=marker, offset=offset,
                          marker_scope=project_scope(_snapshots, project_id))
    return from_rows(Snapshot, rows)


@retry_on_conflict
def snapshot_count(*, project_id: str | None, filters: Mapping[str, Any] | None = None) -> int:
    with reader() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(_snapshots)
                                .where(*_filters(project_id, filters or {}))).scalar_one())


def snapshot_transition(snapshot_id: str, edge: Edge, *, expected_version: int | None = None,
                        project_id: str | None = None, claim: WorkClaim | None = None,
                        revoke: HolderCheck | None = None, **values: Any) -> Snapshot | None:
    """Move the snapshot along ``edge`` (``transitions.transition``); None if another request got there first."""
    changed: Snapshot | None = transitions.transition(
        "snapshot", snapshot_id, edge,
        guard=Guard(expected_version=expected_version, project_id=project_id, claim=claim, revoke=revoke),
        effects=Effects(values=values))
    return changed


@retry_on_conflict
def snapshot_update(snapshot_id: str, *, project_id: str | None, **values: Any) -> Snapshot:
    with writer() as conn:
        if not cas_update(conn, _snapshots, snapshot_id, sources=None, project_id=project_id, values=values):
            raise errors.NotFound("Snapshot", snapshot_id)
        return from_row(Snapshot, get_one(conn, _snapshots, snapshot_id, resource="Snapshot"))


def snapshot_destroy(snapshot_id: str, edge: Edge, *, claim: WorkClaim | None = None) -> Snapshot | None:
    """Soft-delete the snapshot along ``edge`` (delete.done) and give back its quota; None if not in its sources."""
    changed: Snapshot | None = transitions.transition("snapshot", snapshot_id, edge, guard=Guard(claim=claim),
                                                      effects=Effects(destroy=True))
    return changed


@retry_on_conflict
def snapshot_list_stale(*, statuses: frozenset[str], older_than_s: float, backend_host: str,
                        limit: int = 100) -> list[Snapshot]:
    """Snapshots of volumes on ``backend_host`` left in one of ``statuses`` for ``older_than_s``."""
    where = [_snapshots.c.deleted == sa.false(), _snapshots.c.status.in_(sorted(statuses)),
             sa.func.coalesce(_snapshots.c.updated_at, _snapshots.c.created_at)
             < utcnow() - timedelta(seconds=older_than_s),
             _volumes.c.host.startswith(f"{backend_host}#", autoescape=True),
             _snapshots.c.group_snapshot_id.is_(None)]  # a group snapshot's members recover with it
    query = (sa.select(_snapshots).join(_volumes, _volumes.c.id == _snapshots.c.volume_id)
             .where(*where).order_by(_snapshots.c.created_at).limit(limit))
    with reader() as conn:
        return from_rows(Snapshot, conn.execute(query))
