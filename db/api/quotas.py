"""Quota limits and atomic reservations.

A reservation is one conditional ``UPDATE quota_usages SET in_use = in_use + n WHERE
in_use + n <= limit`` inside the caller's transaction, so concurrent creates can never
pass a limit together.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from db import errors, models
from db.api._common import insert_ignore
from db.models import table_of
from db.session import reader, retry_on_conflict, writer

_usages = table_of(models.QuotaUsage)
_quotas = table_of(models.Quota)
_volumes = table_of(models.Volume)
_snapshots = table_of(models.Snapshot)
_backups = table_of(models.Backup)
_groups = table_of(models.Group)
_pools = table_of(models.Pool)

RESOURCES = ("volumes", "snapshots", "gigabytes", "backups", "backup_gigabytes", "groups", "per_volume_gigabytes")
# a limit on each volume's size, not on a sum: nothing is ever in use of it
PER_VOLUME_QUOTA = "per_volume_gigabytes"
# resource -> the limit of a project that has none of its own (the config's quota_* options);
# callers that pass none (tools, tests) impose no limit
Defaults = Mapping[str, int]


def _limits(conn: Connection, project_id: str, defaults: Defaults | None) -> dict[str, int]:
    limits = dict(defaults or {})
    rows = conn.execute(sa.select(_quotas.c.resource, _quotas.c.hard_limit)
                        .where(_quotas.c.project_id == project_id))
    limits.update({r.resource: r.hard_limit for r in rows})
    return limits


def reserve(conn: Connection, project_id: str, deltas: Mapping[str, int], defaults: Defaults | None) -> None:
    """Add ``deltas`` to the project's usage or raise QuotaExceeded; rolls back with the caller."""
    limits = _limits(conn, project_id, defaults)
    for resource, delta in sorted(deltas.items()):
        if delta == 0:
            continue
        limit = limits.get(resource, -1)
        where = [_usages.c.project_id == project_id, _usages.c.resource == resource]
        if limit >= 0 and delta > 0:
            where.append(_usages.c.in_use + delta <= limit)
        update = sa.update(_usages).where(*where).values(in_use=_usages.c.in_use + delta)
        changed = conn.execute(update).rowcount
        if changed != 1:
            # The row may be missing (a project's first reservation). Insert only then: INSERT
            # IGNORE on an existing row takes a shared lock that the UPDATE must upgrade, and two
            # creates doing that deadlock on InnoDB. Whether this insert or a concurrent one made
            # the row, the UPDATE decides again.
            insert_ignore(conn, _usages, {"project_id": project_id, "resource": resource, "in_use": 0})
            changed = conn.execute(update).rowcount
        if changed != 1:
            in_use = conn.execute(sa.select(_usages.c.in_use).where(
                _usages.c.project_id == project_id, _usages.c.resource == resource)).scalar_one()
            raise errors.QuotaExceeded(project_id, resource, delta, in_use, limit)


def release(conn: Connection, project_id: str, deltas: Mapping[str, int]) -> None:
    for resource, delta in sorted(deltas.items()):
        if delta == 0:
            continue
        conn.execute(sa.update(_usages)
                     .where(_usages.c.project_id == project_id, _usages.c.resource == resource)
                     .values(in_use=sa.case((_usages.c.in_use >= delta, _usages.c.in_use - delta), else_=0)))


@retry_on_conflict
def quota_get(project_id: str, defaults: Defaults | None = None) -> dict[str, tuple[int, int]]:
    """resource -> (limit, in_use) for the project; -1 where neither it nor ``defaults`` sets a limit."""
    with reader() as conn:
        limits = _limits(conn, project_id, defaults)
        used = {r.resource: r.in_use for r in conn.execute(
            sa.select(_usages).where(_usages.c.project_id == project_id))}
    return {res: (limits.get(res, -1), used.get(res, 0)) for res in RESOURCES}


@retry_on_conflict
def quota_set(project_id: str, limits: Mapping[str, int]) -> None:
    with writer() as conn:
        for resource, limit in limits.items():
            conn.execute(sa.delete(_quotas).where(_quotas.c.project_id == project_id,
                                                  _quotas.c.resource == resource))
            conn.execute(sa.insert(_quotas).values(project_id=project_id, resource=resource,
                                                   hard_limit=limit))


@retry_on_conflict
def quota_destroy(project_id: str) -> None:
    with writer() as conn:
        conn.execute(sa.delete(_quotas).where(_quotas.c.project_id == project_id))


@dataclass(frozen=True)
class UsageDrift:
    """A recorded usage that differs from what the live resources add up to."""

    kind: str           # "quota" (a project's usage) or "pool" (a pool's allocated capacity)
    owner: str          # the project or the pool
    resource: str       # volumes, gigabytes, ... or allocated_capacity_gb
    recorded: float
    actual: float


def _charged_gb() -> Any:
    size, target = _volumes.c.size_gb, _volumes.c.target_size_gb
    return sa.case((target > size, target), else_=size)


def _actual_usage(conn: Connection) -> dict[tuple[str, str], int]:
    actual: dict[tuple[str, str], int] = {}

    def add(rows: Any, resource: str) -> None:
        for project_id, amount in rows:
            key = (project_id, resource)
            actual[key] = actual.get(key, 0) + int(amount or 0)

    live_volumes = _volumes.c.deleted == sa.false()
    live_snapshots = _snapshots.c.deleted == sa.false()
    live_backups = _backups.c.deleted == sa.false()
    by_volume_project = sa.select(_volumes.c.project_id, sa.func.count()).where(live_volumes)
    add(conn.execute(by_volume_project.group_by(_volumes.c.project_id)), "volumes")
    add(conn.execute(sa.select(_volumes.c.project_id, sa.func.sum(_charged_gb())).where(live_volumes)
                     .group_by(_volumes.c.project_id)), "gigabytes")
    add(conn.execute(sa.select(_snapshots.c.project_id, sa.func.count()).where(live_snapshots)
                     .group_by(_snapshots.c.project_id)), "snapshots")
    add(conn.execute(sa.select(_snapshots.c.project_id, sa.func.sum(_snapshots.c.size_gb)).where(live_snapshots)
                     .group_by(_snapshots.c.project_id)), "gigabytes")
    add(conn.execute(sa.select(_backups.c.project_id, sa.func.count()).where(live_backups)
                     .group_by(_backups.c.project_id)), "backups")
    add(conn.execute(sa.select(_backups.c.project_id, sa.func.sum(_backups.c.size_gb)).where(live_backups)
                     .group_by(_backups.c.project_id)), "backup_gigabytes")
    add(conn.execute(sa.select(_groups.c.project_id, sa.func.count()).where(_groups.c.deleted == sa.false())
                     .group_by(_groups.c.project_id)), "groups")
    return actual


def _drifts(conn: Connection) -> list[UsageDrift]:
    actual = _actual_usage(conn)
    recorded = {(r.project_id, r.resource): r.in_use for r in conn.execute(sa.select(_usages))}
    drifts = []
    for key in sorted(set(actual) | set(recorded)):
        if recorded.get(key, 0) != actual.get(key, 0):
            drifts.append(UsageDrift("quota", key[0], key[1], recorded.get(key, 0), actual.get(key, 0)))
    allocated = {name: float(gb or 0) for name, gb in conn.execute(
        sa.select(_volumes.c.host, sa.func.sum(_charged_gb()))
        .where(_volumes.c.deleted == sa.false(), _volumes.c.host.is_not(None)).group_by(_volumes.c.host))}
    for pool in conn.execute(sa.select(_pools.c.name, _pools.c.allocated_capacity_gb).order_by(_pools.c.name)):
        if abs(pool.allocated_capacity_gb - allocated.get(pool.name, 0.0)) > 1e-6:
            drifts.append(UsageDrift("pool", pool.name, "allocated_capacity_gb", pool.allocated_capacity_gb,
                                     allocated.get(pool.name, 0.0)))
    return drifts


@retry_on_conflict
def quota_check() -> list[UsageDrift]:
    """Every project usage and pool allocation that differs from the live resources (Cinder's quota check)."""
    with writer() as conn:  # one transaction: every count sees the same moment
        return _drifts(conn)


@retry_on_conflict
def quota_sync() -> list[UsageDrift]:
    """Set every drifted usage and allocation to what the live resources add up to; returns what it changed."""
    with writer() as conn:
        drifts = _drifts(conn)
        for drift in drifts:
            if drift.kind == "pool":
                conn.execute(sa.update(_pools).where(_pools.c.name == drift.owner)
                             .values(allocated_capacity_gb=drift.actual))
                continue
            insert_ignore(conn, _usages, {"project_id": drift.owner, "resource": drift.resource, "in_use": 0})
            conn.execute(sa.update(_usages).where(_usages.c.project_id == drift.owner,
                                                  _usages.c.resource == drift.resource)
                         .values(in_use=int(drift.actual)))
        return drifts
