"""Quota limits and atomic reservations.

A reservation is one conditional ``UPDATE quota_usages SET in_use = in_use + n WHERE
in_use + n <= limit`` inside the caller's transaction, so concurrent creates can never
pass a limit together.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
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
_types = table_of(models.VolumeType)
_classes = table_of(models.QuotaClass)

RESOURCES = ("volumes", "snapshots", "gigabytes", "backups", "backup_gigabytes", "groups", "per_volume_gigabytes")
# a limit on each volume's size, not on a sum: nothing is ever in use of it
PER_VOLUME_QUOTA = "per_volume_gigabytes"
# the resources also counted per volume type, shown as ``<resource>_<type name>`` (Cinder's keys) and
# stored as ``<resource>:<type id>`` so that renaming a type keeps its limits and usage
TYPED = ("volumes", "gigabytes", "snapshots")
# the class whose limits override the config's quota_* options for every project without its own
DEFAULT_CLASS = "default"
# resource -> the limit of a project that has none of its own (the config's quota_* options);
# callers that pass none (tools, tests) impose no limit
Defaults = Mapping[str, int]


def typed(deltas: Mapping[str, int], volume_type_id: str | None) -> dict[str, int]:
    """``deltas`` plus the same change to the volume type's own keys (volumes, gigabytes, snapshots)."""
    out = dict(deltas)
    if volume_type_id:
        out.update({f"{res}:{volume_type_id}": deltas[res] for res in TYPED if res in deltas})
    return out


def type_keys(volume_type_id: str) -> list[str]:
    return [f"{res}:{volume_type_id}" for res in TYPED]


def _type_names(conn: Connection) -> dict[str, str]:
    """type id -> name of every live volume type."""
    return {r.id: r.name for r in conn.execute(sa.select(_types.c.id, _types.c.name)
                                               .where(_types.c.deleted == sa.false()).order_by(_types.c.name))}


def _display(key: str, names: Mapping[str, str]) -> str:
    res, _, type_id = key.partition(":")
    return f"{res}_{names.get(type_id, type_id)}" if type_id else key


def _shown_keys(names: Mapping[str, str]) -> dict[str, str]:
    """shown key -> stored key: the fixed resources, then each live type's three."""
    keys = {res: res for res in RESOURCES}
    for type_id, name in names.items():
        keys.update({f"{res}_{name}": f"{res}:{type_id}" for res in TYPED})
    return keys


def _class_rows(conn: Connection, class_name: str) -> dict[str, int]:
    return {r.resource: r.hard_limit for r in conn.execute(
        sa.select(_classes.c.resource, _classes.c.hard_limit).where(_classes.c.class_name == class_name))}


def _default_limits(conn: Connection, defaults: Defaults | None) -> dict[str, int]:
    if defaults is None:
        return {}
    return {**defaults, **_class_rows(conn, DEFAULT_CLASS)}


def _limits(conn: Connection, project_id: str, defaults: Defaults | None) -> dict[str, int]:
    limits = _default_limits(conn, defaults)
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
            raise errors.QuotaExceeded(project_id, _display(resource, _type_names(conn)), delta, in_use, limit)


def release(conn: Connection, project_id: str, deltas: Mapping[str, int]) -> None:
    for resource, delta in sorted(deltas.items()):
        if delta == 0:
            continue
        conn.execute(sa.update(_usages)
                     .where(_usages.c.project_id == project_id, _usages.c.resource == resource)
                     .values(in_use=sa.case((_usages.c.in_use >= delta, _usages.c.in_use - delta), else_=0)))


def volume_type_of(conn: Connection, volume_id: str) -> str | None:
    """The type of a volume (deleted or not): a snapshot counts against its volume's type."""
    return conn.execute(sa.select(_volumes.c.volume_type_id).where(_volumes.c.id == volume_id)).scalar()


@retry_on_conflict
def quota_keys() -> dict[str, str]:
    """Every key a quota set or class shows and takes -> the key it is stored under."""
    with reader() as conn:
        return _shown_keys(_type_names(conn))


@retry_on_conflict
def quota_get(project_id: str, defaults: Defaults | None = None) -> dict[str, tuple[int, int]]:
    """shown key -> (limit, in_use) for the project, per-type keys included for every live type; -1 where
    neither the project, the ``default`` class nor ``defaults`` sets a limit."""
    with reader() as conn:
        limits = _limits(conn, project_id, defaults)
        used = {r.resource: r.in_use for r in conn.execute(
            sa.select(_usages).where(_usages.c.project_id == project_id))}
        keys = _shown_keys(_type_names(conn))
    return {shown: (limits.get(key, -1), used.get(key, 0)) for shown, key in keys.items()}


@retry_on_conflict
def quota_limit(project_id: str, resource: str, defaults: Defaults | None = None) -> int:
    """One limit of the project (as ``quota_get`` gives it, -1 if none is set), read alone: a create's
    per-volume check needs neither the usages nor every type's keys."""
    with reader() as conn:
        own = conn.execute(sa.select(_quotas.c.hard_limit).where(
            _quotas.c.project_id == project_id, _quotas.c.resource == resource)).scalar()
        if own is not None:
            return int(own)
        return int(_default_limits(conn, defaults).get(resource, -1))


@retry_on_conflict
def quota_class_get(class_name: str, defaults: Defaults) -> dict[str, int]:
    """shown key -> limit of a quota class: its own limits over the ``default`` class over ``defaults``.

    The ``default`` class is what every project without its own limits gets (the defaults route).
    """
    with reader() as conn:
        limits = {**_default_limits(conn, defaults), **_class_rows(conn, class_name)}
        keys = _shown_keys(_type_names(conn))
    return {shown: limits.get(key, -1) for shown, key in keys.items()}


def _put(conn: Connection, table: sa.Table, owner: sa.Column[str], owner_id: str,
         limits: Mapping[str, int]) -> None:
    for resource, limit in limits.items():
        conn.execute(sa.delete(table).where(owner == owner_id, table.c.resource == resource))
        conn.execute(sa.insert(table).values({owner.name: owner_id, "resource": resource, "hard_limit": limit}))


@retry_on_conflict
def quota_set(project_id: str, limits: Mapping[str, int]) -> None:
    """``limits`` by stored key (see quota_keys)."""
    with writer() as conn:
        _put(conn, _quotas, _quotas.c.project_id, project_id, limits)


@retry_on_conflict
def quota_class_set(class_name: str, limits: Mapping[str, int]) -> None:
    """``limits`` by stored key (see quota_keys)."""
    with writer() as conn:
        _put(conn, _classes, _classes.c.class_name, class_name, limits)


@retry_on_conflict
def quota_destroy(project_id: str) -> None:
    with writer() as conn:
        conn.execute(sa.delete(_quotas).where(_quotas.c.project_id == project_id))


def forget_type(conn: Connection, volume_type_id: str) -> None:
    """A deleted type's keys: its limits (projects and classes) and its usage, which is zero by then."""
    keys = type_keys(volume_type_id)
    for table in (_quotas, _classes, _usages):
        conn.execute(sa.delete(table).where(table.c.resource.in_(keys)))


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

    def add(rows: Any, resource: str | None) -> None:
        """rows of (project, amount), or of (project, resource, amount) when ``resource`` is None"""
        for row in rows:
            project_id, amount = row[0], row[-1]
            key = (project_id, resource if resource is not None else row[1])
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
    def typed_key(res: str) -> Any:
        return sa.literal(f"{res}:", sa.String) + _volumes.c.volume_type_id

    has_type = _volumes.c.volume_type_id.is_not(None)
    for res, amount in (("volumes", sa.func.count()), ("gigabytes", sa.func.sum(_charged_gb()))):
        add(conn.execute(sa.select(_volumes.c.project_id, typed_key(res), amount)
                         .where(live_volumes, has_type).group_by(_volumes.c.project_id, _volumes.c.volume_type_id)),
            None)
    snap_of = _snapshots.join(_volumes, _volumes.c.id == _snapshots.c.volume_id)
    for res, amount in (("snapshots", sa.func.count()), ("gigabytes", sa.func.sum(_snapshots.c.size_gb))):
        add(conn.execute(sa.select(_snapshots.c.project_id, typed_key(res), amount)
                         .select_from(snap_of).where(live_snapshots, has_type)
                         .group_by(_snapshots.c.project_id, _volumes.c.volume_type_id)), None)
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
        return _shown(conn, _drifts(conn))


def _shown(conn: Connection, drifts: list[UsageDrift]) -> list[UsageDrift]:
    """The drifts with per-type resources named as the quota sets show them (``volumes_<type name>``)."""
    names = _type_names(conn)
    return [replace(d, resource=_display(d.resource, names)) if d.kind == "quota" else d for d in drifts]


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
        return _shown(conn, drifts)
