"""Backend pools: capability reports, and capacity claims that schedulers make atomically.

The claim is one conditional UPDATE on the pool row, so two schedulers can never place
more than the pool's capacity between them, whatever their caches say.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from db import models
from db.api._common import utcnow
from db.api.backends import fence
from db.models import table_of
from db.records import Pool, from_rows
from db.session import reader, retry_on_conflict, writer

_pools = table_of(models.Pool)

REPORTED_FIELDS = ("volume_backend_name", "availability_zone", "total_capacity_gb", "free_capacity_gb",
                   "reserved_percentage", "max_over_subscription_ratio", "thin_provisioning_support",
                   "capabilities")


def capacity_limit_expr() -> Any:
    """What a pool may hold in GB: total less the reserve, times the ratio if thin."""
    usable = _pools.c.total_capacity_gb * (1 - _pools.c.reserved_percentage / 100.0)
    ratio = sa.case((_pools.c.thin_provisioning_support == sa.true(), _pools.c.max_over_subscription_ratio),
                    else_=1.0)
    return usable * ratio


_CLAIMED_GB = sa.bindparam("_gb", type_=sa.Float())
_CLAIM = (sa.update(_pools).where(_pools.c.name == sa.bindparam("_pool"),
                                  _pools.c.allocated_capacity_gb + _CLAIMED_GB <= capacity_limit_expr())
          .values(allocated_capacity_gb=_pools.c.allocated_capacity_gb + _CLAIMED_GB))


@retry_on_conflict
def pool_report(backend_host: str, pools: Sequence[Mapping[str, Any]], *, epoch: int | None = None) -> None:
    """Store a volume service's report; keeps what schedulers have claimed on each pool.

    Under ``epoch`` (the reporting active's), Fenced once a takeover has passed it.
    """
    now = utcnow()
    with writer() as conn:
        if epoch is not None:
            fence(conn, backend_host, epoch)
        for pool in pools:
            values = {k: pool[k] for k in REPORTED_FIELDS if k in pool}
            changed = conn.execute(sa.update(_pools).where(_pools.c.name == pool["name"])
                                   .values(backend_host=backend_host, updated_at=now, **values)).rowcount
            if not changed:
                conn.execute(sa.insert(_pools).values(
                    name=pool["name"], backend_host=backend_host, updated_at=now,
                    allocated_capacity_gb=pool.get("allocated_capacity_gb", 0), **values))


@retry_on_conflict
def pool_list(*, fresh_within_s: float | None = None) -> list[Pool]:
    query = sa.select(_pools).order_by(_pools.c.name)
    if fresh_within_s is not None:
        query = query.where(_pools.c.updated_at >= utcnow() - timedelta(seconds=fresh_within_s))
    with reader() as conn:
        return from_rows(Pool, conn.execute(query))


@retry_on_conflict
def pool_capabilities(pool_name: str) -> dict[str, Any] | None:
    """What the pool ``pool_name`` (host@backend#pool) last reported it can do; None if it never reported."""
    with reader() as conn:
        row = conn.execute(sa.select(_pools.c.capabilities).where(_pools.c.name == pool_name)).first()
    return None if row is None else dict(row.capabilities or {})


def claim(conn: Connection, pool_name: str, size_gb: float) -> bool:
    """Add ``size_gb`` to the pool's allocation if it still fits; part of the caller's transaction."""
    return conn.execute(_CLAIM, {"_pool": pool_name, "_gb": size_gb}).rowcount == 1


def allocate(conn: Connection, pool_name: str | None, size_gb: float) -> None:
    """Count ``size_gb`` more as allocated on the pool, room or not (data that already lies there: a managed
    volume, or one a migration moved there)."""
    if pool_name and size_gb > 0:
        conn.execute(sa.update(_pools).where(_pools.c.name == pool_name).values(
            allocated_capacity_gb=_pools.c.allocated_capacity_gb + size_gb))


def release(conn: Connection, pool_name: str | None, size_gb: float) -> None:
    if not pool_name or size_gb <= 0:
        return
    conn.execute(sa.update(_pools).where(_pools.c.name == pool_name).values(
        allocated_capacity_gb=sa.case((_pools.c.allocated_capacity_gb >= size_gb,
                                       _pools.c.allocated_capacity_gb - size_gb), else_=0)))


@retry_on_conflict
def pool_delete_backend(backend_host: str) -> None:
    with writer() as conn:
        conn.execute(sa.delete(_pools).where(_pools.c.backend_host == backend_host))
