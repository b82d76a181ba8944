"""Backup rows: create (claiming the volume), restore (claiming the target), the backup services' share of
the work (who takes a waiting backup, who adopts a dead service's), listing, progress.

Backup services compete through the ``host`` column: a waiting operation has none, and a service takes
it with one compare-and-swap (``backup_take``); a live service adopts the backups of one whose lease ran
out (``backup_adopt``). The operation itself is then claimed like any other (``work``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from db import errors, models
from db.api import quotas
from db.api._common import cas_update, get_one, list_query, new_id, project_scope, utcnow
from db.api.idempotency import bind_resource
from db.models import table_of
from db.records import Backup, IdempotencyClaim, from_row, from_rows
from db.session import reader, retry_on_conflict, writer

_backups = table_of(models.Backup)
_volumes = table_of(models.Volume)
_leases = table_of(models.BackendLease)

Edge = tuple[frozenset[str], str]

FILTER_KEYS = frozenset({"name", "status", "volume_id", "project_id", "availability_zone"})


def backup_create(*, project_id: str, user_id: str, volume_id: str, volume_version: int, volume_claim: Edge,
                  status: str, size_gb: int, name: str | None = None, description: str | None = None,
                  container: str | None = None, metadata: Mapping[str, str] | None = None,
                  availability_zone: str | None = None, parent_id: str | None = None,
                  snapshot_id: str | None = None, idempotency: IdempotencyClaim | None = None,
                  quota_defaults: quotas.Defaults | None = None) -> Backup:
    """Claim the volume (still at ``volume_version``) along ``volume_claim``, reserve quota, insert the row."""
    return _backup_create(new_id(), project_id=project_id, user_id=user_id, volume_id=volume_id,
                          volume_version=volume_version, volume_claim=volume_claim, status=status, size_gb=size_gb,
                          name=name, description=description, container=container, metadata=metadata,
                          availability_zone=availability_zone, parent_id=parent_id, snapshot_id=snapshot_id,
                          idempotency=idempotency, quota_defaults=quota_defaults)


@retry_on_conflict
def _backup_create(backup_id: str, *, project_id: str, user_id: str, volume_id: str, volume_version: int,
                   volume_claim: Edge, status: str, size_gb: int, name: str | None, description: str | None,
                   container: str | None, metadata: Mapping[str, str] | None, availability_zone: str | None,
                   parent_id: str | None, snapshot_id: str | None, idempotency: IdempotencyClaim | None,
                   quota_defaults: quotas.Defaults | None) -> Backup:
    sources, target = volume_claim
    with writer() as conn:
        existing = conn.execute(sa.select(_backups).where(_backups.c.id == backup_id)).first()
        if existing is not None:  # a retried try whose COMMIT did land
            return from_row(Backup, existing)
        if not cas_update(conn, _volumes, volume_id, sources=sources, expected_version=volume_version,
                          project_id=project_id, values={"status": target}):
            raise errors.Conflict(f"Volume {volume_id} changed while the backup was being requested; "
                                  f"it must be in status {sorted(sources)}.")
        if parent_id is not None and not conn.execute(sa.select(_backups.c.id).where(
                _backups.c.id == parent_id, _backups.c.status == "available",
                _backups.c.deleted == sa.false())).first():
            raise errors.Conflict(f"The parent backup {parent_id} is no longer available.")
        quotas.reserve(conn, project_id, {"backups": 1, "backup_gigabytes": size_gb}, quota_defaults)
        conn.execute(sa.insert(_backups).values(
            id=backup_id, project_id=project_id, user_id=user_id, volume_id=volume_id, snapshot_id=snapshot_id,
            name=name, description=description, size_gb=size_gb, status=status, version=1, container=container,
            object_count=0, parent_id=parent_id, availability_zone=availability_zone, progress=0,
            metadata=dict(metadata or {}), data_timestamp=utcnow(), stored_bytes=0, created_at=utcnow(),
            deleted=False))
        bind_resource(conn, idempotency, backup_id)
        return from_row(Backup, get_one(conn, _backups, backup_id, resource="Backup"))


class _Lost(Exception):
    """Rolls the restore's first swap back when its second one loses."""


def backup_restore_begin(backup_id: str, *, backup_edge: Edge, backup_version: int, volume_id: str,
                         volume_edge: Edge | None, volume_version: int | None = None,
                         project_id: str | None = None) -> Backup | None:
    """Move the backup along ``backup_edge`` with its restore target, and the target along ``volume_edge``
    (a new volume still being created is claimed later, by the service); None if either has changed."""
    try:
        return _restore_begin(backup_id, backup_edge=backup_edge, backup_version=backup_version, volume_id=volume_id,
                              volume_edge=volume_edge, volume_version=volume_version, project_id=project_id)
    except _Lost:
        return None


@retry_on_conflict
def _restore_begin(backup_id: str, *, backup_edge: Edge, backup_version: int, volume_id: str,
                   volume_edge: Edge | None, volume_version: int | None, project_id: str | None) -> Backup | None:
    with writer() as conn:
        if volume_edge is not None and not cas_update(conn, _volumes, volume_id, sources=volume_edge[0],
                                                      expected_version=volume_version,
                                                      values={"status": volume_edge[1]}):
            return None
        if not cas_update(conn, _backups, backup_id, sources=backup_edge[0], expected_version=backup_version,
                          project_id=project_id, values={"status": backup_edge[1], "restore_volume_id": volume_id,
                                                         "host": None, "progress": 0, "status_reason": None}):
            raise _Lost

        return from_row(Backup, get_one(conn, _backups, backup_id, resource="Backup"))


@retry_on_conflict
def backup_get(backup_id: str, *, project_id: str | None = None) -> Backup:
    with reader() as conn:
        return from_row(Backup, get_one(conn, _backups, backup_id, resource="Backup", project_id=project_id))


def _filters(project_id: str | None, filters: Mapping[str, Any]) -> list[Any]:
    where: list[Any] = [_backups.c.deleted == sa.false()]
    if project_id is not None:
        where.append(_backups.c.project_id == project_id)
    for key, value in filters.items():
        if key in FILTER_KEYS:
            where.append(_backups.c[key] == value)
    return where


@retry_on_conflict
def backup_list(*, project_id: str | None, filters: Mapping[str, Any] | None = None,
                sort: Sequence[tuple[str, str]] = (("created_at", "desc"),), limit: int | None = None,
                marker: str | None = None, offset: int | None = None) -> list[Backup]:
    with reader() as conn:
        rows = list_query(conn, _backups, resource="backup", where=_filters(project_id, filters or {}),
                          sort=sort, limit=limit, marker=marker, offset=offset,
                          marker_scope=project_scope(_backups, project_id))
    return from_rows(Backup, rows)


@retry_on_conflict
def backup_count(*, project_id: str | None, filters: Mapping[str, Any] | None = None) -> int:
    with reader() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(_backups)
                                .where(*_filters(project_id, filters or {}))).scalar_one())


@retry_on_conflict
def backup_children(backup_id: str) -> int:
    """How many live incrementals name ``backup_id`` as their parent (it cannot be deleted while any do)."""
    with reader() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(_backups).where(
            _backups.c.parent_id == backup_id, _backups.c.deleted == sa.false())).scalar_one())


@retry_on_conflict
def backup_latest(volume_id: str) -> Backup | None:
    """The volume's newest available backup: an incremental's parent."""
    with reader() as conn:
        row = conn.execute(sa.select(_backups).where(
            _backups.c.volume_id == volume_id, _backups.c.status == "available", _backups.c.deleted == sa.false())
            .order_by(_backups.c.created_at.desc(), _backups.c.id.desc()).limit(1)).first()
    return None if row is None else from_row(Backup, row)


@retry_on_conflict
def backup_update(backup_id: str, *, project_id: str | None, **values: Any) -> Backup:
    with writer() as conn:
        if not cas_update(conn, _backups, backup_id, sources=None, project_id=project_id, values=values):
            raise errors.NotFound("Backup", backup_id)
        return from_row(Backup, get_one(conn, _backups, backup_id, resource="Backup"))


@retry_on_conflict
def backup_note(backup_id: str, *, host: str, **values: Any) -> bool:
    """What the running service records as it goes (progress, its temporary snapshot), without a version
    bump (a user's update is not made to lose its swap by it); False if the backup is no longer ``host``'s."""
    with writer() as conn:
        return conn.execute(sa.update(_backups).where(
            _backups.c.id == backup_id, _backups.c.host == host, _backups.c.deleted == sa.false())
            .values(**values)).rowcount == 1


@retry_on_conflict
def backup_take(*, statuses: frozenset[str], host: str, limit: int) -> list[Backup]:
    """Take up to ``limit`` backups no service has taken yet (oldest first) for ``host``."""
    with reader() as conn:
        waiting = list(conn.execute(sa.select(_backups.c.id).where(
            _backups.c.deleted == sa.false(), _backups.c.status.in_(sorted(statuses)), _backups.c.host.is_(None))
            .order_by(_backups.c.created_at).limit(limit)).scalars())
    taken = []
    for backup_id in waiting:
        with writer() as conn:
            won = conn.execute(sa.update(_backups).where(
                _backups.c.id == backup_id, _backups.c.host.is_(None), _backups.c.status.in_(sorted(statuses)))
                .values(host=host)).rowcount == 1
            if won:
                taken.append(from_row(Backup, get_one(conn, _backups, backup_id, resource="Backup")))
    return taken


@retry_on_conflict
def backup_adopt(*, from_host: str, to_host: str, statuses: frozenset[str]) -> int:
    """The unfinished backups of ``from_host`` (a service whose lease ran out) become ``to_host``'s."""
    with writer() as conn:
        return int(conn.execute(sa.update(_backups).where(
            _backups.c.host == from_host, _backups.c.deleted == sa.false(), _backups.c.status.in_(sorted(statuses)))
            .values(host=to_host)).rowcount)


@retry_on_conflict
def backup_hosts_expired(prefix: str) -> list[str]:
    """The lease names starting with ``prefix`` whose lease ran out or was given up (dead or stopped services)."""
    now = utcnow()
    with reader() as conn:
        return sorted(conn.execute(sa.select(_leases.c.backend_host).where(
            _leases.c.backend_host.startswith(prefix, autoescape=True),
            sa.or_(_leases.c.holder.is_(None), _leases.c.expires_at.is_(None), _leases.c.expires_at < now)))
            .scalars())


@retry_on_conflict
def backup_hosts_alive(prefix: str) -> list[str]:
    """The lease names starting with ``prefix`` held now (live backup services)."""
    now = utcnow()
    with reader() as conn:
        return sorted(conn.execute(sa.select(_leases.c.backend_host).where(
            _leases.c.backend_host.startswith(prefix, autoescape=True), _leases.c.holder.is_not(None),
            _leases.c.expires_at >= now)).scalars())


@retry_on_conflict
def backup_import(*, backup_id: str, project_id: str, user_id: str, volume_id: str, size_gb: int, name: str | None,
                  description: str | None, container: str | None, parent_id: str | None, object_count: int,
                  quota_defaults: quotas.Defaults | None = None) -> Backup:
    """A backup row for objects already in the store (an imported record), available at once; the row of a
    deleted backup of that id comes back to life (Cinder's import of a deleted backup). Conflict if it lives."""
    with writer() as conn:
        existing = conn.execute(sa.select(_backups.c.deleted).where(_backups.c.id == backup_id)).first()
        if existing is not None and not existing.deleted:
            raise errors.Conflict(f"Invalid backup: Backup {backup_id} already exists.")
        quotas.reserve(conn, project_id, {"backups": 1, "backup_gigabytes": size_gb}, quota_defaults)
        values: dict[str, Any] = {
            "project_id": project_id, "user_id": user_id, "volume_id": volume_id, "name": name,
            "description": description, "size_gb": size_gb, "status": "available", "version": 1,
            "container": container, "object_count": object_count, "parent_id": parent_id, "progress": 100,
            "metadata": {}, "stored_bytes": 0, "created_at": utcnow(), "data_timestamp": utcnow(), "deleted": False,
            "deleted_at": None, "host": None, "restore_volume_id": None, "temp_snapshot_id": None,
            "status_reason": None, "updated_at": None}
        if existing is None:
            conn.execute(sa.insert(_backups).values(id=backup_id, **values))
        else:
            conn.execute(sa.update(_backups).where(_backups.c.id == backup_id).values(**values))
        return from_row(Backup, get_one(conn, _backups, backup_id, resource="Backup"))


@retry_on_conflict
def backup_list_stale(*, statuses: frozenset[str], older_than_s: float, backend_host: str,
                      limit: int = 100) -> list[Backup]:
    """Backups ``backend_host`` holds in one of ``statuses`` unchanged for ``older_than_s``."""
    query = sa.select(_backups).where(
        _backups.c.deleted == sa.false(), _backups.c.status.in_(sorted(statuses)), _backups.c.host == backend_host,
        sa.func.coalesce(_backups.c.updated_at, _backups.c.created_at) <= utcnow() - timedelta(seconds=older_than_s)
    ).order_by(_backups.c.created_at).limit(limit)
    with reader() as conn:
        return from_rows(Backup, conn.execute(query))
