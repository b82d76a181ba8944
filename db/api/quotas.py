"""Quota limits and atomic reservations.

A reservation is one conditional ``UPDATE quota_usages SET in_use = in_use + n WHERE
in_use + n <= limit`` inside the caller's transaction, so concurrent creates can never
pass a limit together.
"""

from __future__ import annotations

from collections.abc import Mapping

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from db import errors, models
from db.api._common import insert_ignore
from db.models import table_of
from db.session import reader, retry_on_conflict, writer

_usages = table_of(models.QuotaUsage)
_quotas = table_of(models.Quota)

RESOURCES = ("volumes", "snapshots", "gigabytes", "backups", "backup_gigabytes")
_defaults: dict[str, int] = {"volumes": 10, "snapshots": 10, "gigabytes": 1000,
                             "backups": 10, "backup_gigabytes": 1000}


def set_defaults(defaults: Mapping[str, int]) -> None:
    _defaults.update(defaults)


def _limits(conn: Connection, project_id: str) -> dict[str, int]:
    limits = dict(_defaults)
    rows = conn.execute(sa.select(_quotas.c.resource, _quotas.c.hard_limit)
                        .where(_quotas.c.project_id == project_id))
    limits.update({r.resource: r.hard_limit for r in rows})
    return limits


def reserve(conn: Connection, project_id: str, deltas: Mapping[str, int]) -> None:
    """Add ``deltas`` to the project's usage or raise QuotaExceeded; rolls back with the caller."""
    limits = _limits(conn, project_id)
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
def quota_get(project_id: str) -> dict[str, tuple[int, int]]:
    """resource -> (limit, in_use) for the project."""
    with reader() as conn:
        limits = _limits(conn, project_id)
        used = {r.resource: r.in_use for r in conn.execute(
            sa.select(_usages).where(_usages.c.project_id == project_id))}
    return {res: (limits.get(res, -1), used.get(res, 0)) for res in RESOURCES}


def quota_defaults() -> dict[str, int]:
    return dict(_defaults)


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
