"""Group snapshots: one snapshot of each volume of a group, requested in one transaction.

The request claims the group and each of its volumes by version (a racing extend, delete or group
change loses, or makes this lose), reserves the snapshots' quota and inserts the group snapshot and
its member snapshots, all ``creating``. Their landings move the members with the group snapshot
(``Effects.members`` of ``db.transition``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from db import errors, models
from db.api import quotas
from db.api._common import cas_update, get_one, list_query, new_id, project_scope, utcnow
from db.models import table_of
from db.records import GroupSnapshot, Snapshot, from_row, from_rows
from db.session import reader, retry_on_conflict, writer

_group_snapshots = table_of(models.GroupSnapshot)
_groups = table_of(models.Group)
_volumes = table_of(models.Volume)
_snapshots = table_of(models.Snapshot)

Edge = tuple[frozenset[str], str]
SORT_KEYS = frozenset({"id", "name", "status", "created_at", "updated_at", "group_id", "project_id"})
FILTER_KEYS = frozenset({"name", "status", "group_id", "project_id"})


@retry_on_conflict
def group_snapshot_create(*, project_id: str, user_id: str, group_id: str, group_version: int, group_claim: Edge,
                          volumes: Sequence[tuple[str, int]], volume_sources: frozenset[str], name: str | None,
                          description: str | None, status: str, member_status: str, host: str | None,
                          quota_defaults: quotas.Defaults | None) -> tuple[GroupSnapshot, list[Snapshot]]:
    """Claim the group and each of ``volumes`` (id, version read) still in the group, reserve quota,
    insert the group snapshot (on ``host``, the volumes' backend) and its members. Conflict, and nothing
    is written, when any changed."""
    group_sources, _ = group_claim
    with writer() as conn:
        if not cas_update(conn, _groups, group_id, sources=group_sources, expected_version=group_version,
                          project_id=project_id, values={}):
            raise errors.Conflict(f"Group {group_id} changed while its snapshot was being requested; it must be in "
                                  f"status {sorted(group_sources)}.")
        group = get_one(conn, _groups, group_id, resource="Group")
        group_snapshot_id, now = new_id(), utcnow()
        conn.execute(sa.insert(_group_snapshots).values(
            id=group_snapshot_id, project_id=project_id, user_id=user_id, group_id=group_id,
            group_type_id=group.group_type_id, name=name, description=description, status=status, version=1,
            host=host, created_at=now, deleted=False))
        total_gb = 0
        for volume_id, version in volumes:
            if not cas_update(conn, _volumes, volume_id, sources=volume_sources, expected_version=version,
                              extra_where=[_volumes.c.group_id == group_id], values={}):
                raise errors.Conflict(f"Invalid volume: volume {volume_id} changed while the group snapshot was "
                                      f"being requested; it must be in status {sorted(volume_sources)}.")
            size_gb = conn.execute(sa.select(_volumes.c.size_gb).where(_volumes.c.id == volume_id)).scalar_one()
            total_gb += size_gb
            conn.execute(sa.insert(_snapshots).values(
                id=new_id(), project_id=project_id, user_id=user_id, volume_id=volume_id,
                name=f"snapshot-{group_snapshot_id}"[:255], size_gb=size_gb, status=member_status, version=1,
                progress="0%", metadata={}, created_at=now, deleted=False, group_snapshot_id=group_snapshot_id))
        if volumes:
            quotas.reserve(conn, project_id, {"snapshots": len(volumes), "gigabytes": total_gb}, quota_defaults)
        created = from_row(GroupSnapshot, get_one(conn, _group_snapshots, group_snapshot_id,
                                                  resource="Group snapshot"))
        members = from_rows(Snapshot, conn.execute(sa.select(_snapshots).where(
            _snapshots.c.group_snapshot_id == group_snapshot_id)))
        return created, members


@retry_on_conflict
def group_snapshot_get(group_snapshot_id: str, *, project_id: str | None = None) -> GroupSnapshot:
    with reader() as conn:
        return from_row(GroupSnapshot, get_one(conn, _group_snapshots, group_snapshot_id, resource="Group snapshot",
                                               project_id=project_id))


@retry_on_conflict
def group_snapshot_list(*, project_id: str | None, filters: Mapping[str, Any] | None = None,
                        sort: Sequence[tuple[str, str]] = (("created_at", "desc"),), limit: int | None = None,
                        marker: str | None = None, offset: int | None = None) -> list[GroupSnapshot]:
    where: list[Any] = [_group_snapshots.c.deleted == sa.false()]
    if project_id is not None:
        where.append(_group_snapshots.c.project_id == project_id)
    where += [_group_snapshots.c[k] == v for k, v in (filters or {}).items() if k in FILTER_KEYS]
    with reader() as conn:
        rows = list_query(conn, _group_snapshots, resource="group snapshot", where=where, sort=sort, limit=limit,
                          marker=marker, offset=offset,
                          marker_scope=[_group_snapshots.c.deleted == sa.false(),
                                        *project_scope(_group_snapshots, project_id)])
        return from_rows(GroupSnapshot, rows)


@retry_on_conflict
def group_snapshot_members(group_snapshot_id: str) -> list[Snapshot]:
    """The live snapshots taken with the group snapshot, in the order of their volumes' creation."""
    with reader() as conn:
        return from_rows(Snapshot, conn.execute(
            sa.select(_snapshots).join(_volumes, _volumes.c.id == _snapshots.c.volume_id)
            .where(_snapshots.c.group_snapshot_id == group_snapshot_id, _snapshots.c.deleted == sa.false())
            .order_by(_volumes.c.created_at, _volumes.c.id)))


@retry_on_conflict
def group_snapshot_count(*, group_id: str) -> int:
    with reader() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(_group_snapshots).where(
            _group_snapshots.c.group_id == group_id, _group_snapshots.c.deleted == sa.false())).scalar_one())


@retry_on_conflict
def group_snapshot_list_stale(*, statuses: frozenset[str], older_than_s: float, backend_host: str,
                              limit: int = 100) -> list[GroupSnapshot]:
    """Group snapshots on ``backend_host`` left in one of ``statuses`` for ``older_than_s``."""
    where = [_group_snapshots.c.deleted == sa.false(), _group_snapshots.c.status.in_(sorted(statuses)),
             _group_snapshots.c.host == backend_host,
             sa.func.coalesce(_group_snapshots.c.updated_at, _group_snapshots.c.created_at)
             < utcnow() - timedelta(seconds=older_than_s)]
    with reader() as conn:
        return from_rows(GroupSnapshot, conn.execute(sa.select(_group_snapshots).where(*where)
                                                     .order_by(_group_snapshots.c.created_at).limit(limit)))
