"""Backends: who is the active volume service of each, under which epoch; the SQL election's leases.

The epoch is the fencing token: it grows at every new holder, and every write the volume side
makes checks, in its own transaction, that its epoch is still the backend's (``fence``). With
the SQL election the lease is a row of its own (claimed by conditional update, renewed by its
holder without ever waiting for fenced writes); a claim also advances the epoch. With etcd or
Consul the lock lives there and the new holder only advances the epoch here.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from db import errors, models
from db.api._common import insert_ignore, utcnow
from db.models import table_of
from db.records import BackendEpoch, from_row
from db.session import reader, retry_on_conflict, writer

_backends = table_of(models.Backend)
_leases = table_of(models.BackendLease)
_FENCE = (sa.update(_backends).where(_backends.c.backend_host == sa.bindparam("_backend"),
                                     _backends.c.epoch == sa.bindparam("_epoch"))
          .values(fenced_writes=_backends.c.fenced_writes + 1))


def fence(conn: Connection, backend_host: str, epoch: int) -> None:
    """Inside a volume-side write: raise Fenced (rolling it back) unless ``epoch`` is still current.

    It writes the epoch's row, so a takeover advancing the epoch waits for this write to end, or
    this write for the takeover (under Galera: the two conflict at certification): no write of an
    old epoch can land after the new one begins.
    """
    touched = conn.execute(_FENCE, {"_backend": backend_host, "_epoch": epoch}).rowcount
    if touched != 1:
        raise errors.Fenced(backend_host, epoch)


def _advance(conn: Connection, backend_host: str, node: str) -> int:
    insert_ignore(conn, _backends, {"backend_host": backend_host, "epoch": 0, "fenced_writes": 0,
                                    "updated_at": utcnow()})
    conn.execute(sa.update(_backends).where(_backends.c.backend_host == backend_host).values(
        holder=node, epoch=_backends.c.epoch + 1, updated_at=utcnow()))
    return int(conn.execute(sa.select(_backends.c.epoch).where(_backends.c.backend_host == backend_host))
               .scalar_one())


@retry_on_conflict
def backend_lease_claim(backend_host: str, *, node: str, ttl_s: float) -> int | None:
    """Take the backend's lease if nobody holds it (or it ran out): the new epoch, else None."""
    now = utcnow()
    with writer() as conn:
        insert_ignore(conn, _leases, {"backend_host": backend_host, "epoch": 0})
        free = sa.or_(_leases.c.holder.is_(None), _leases.c.expires_at.is_(None), _leases.c.expires_at < now)
        if not conn.execute(sa.update(_leases).where(_leases.c.backend_host == backend_host, free)
                            .values(holder=node, expires_at=now + timedelta(seconds=ttl_s))).rowcount:
            return None
        epoch = _advance(conn, backend_host, node)
        conn.execute(sa.update(_leases).where(_leases.c.backend_host == backend_host).values(epoch=epoch))
        return epoch


@retry_on_conflict
def backend_lease_renew(backend_host: str, *, node: str, epoch: int, ttl_s: float) -> bool:
    """Extend the lease ``node`` holds under ``epoch``; False if it is no longer theirs."""
    now = utcnow()
    with writer() as conn:
        return conn.execute(sa.update(_leases).where(
            _leases.c.backend_host == backend_host, _leases.c.holder == node, _leases.c.epoch == epoch,
            _leases.c.expires_at >= now).values(expires_at=now + timedelta(seconds=ttl_s))).rowcount == 1


@retry_on_conflict
def backend_lease_release(backend_host: str, *, node: str, epoch: int) -> None:
    """Give the lease up at once (a clean stop), so that a standby takes over without waiting."""
    with writer() as conn:
        conn.execute(sa.update(_leases).where(
            _leases.c.backend_host == backend_host, _leases.c.holder == node, _leases.c.epoch == epoch)
            .values(holder=None, expires_at=None))


@retry_on_conflict
def backend_epoch_advance(backend_host: str, *, node: str) -> int:
    """A new holder of the backend's etcd or Consul lock: the next epoch, recorded with its holder."""
    with writer() as conn:
        return _advance(conn, backend_host, node)


@retry_on_conflict
def backend_get(backend_host: str) -> BackendEpoch:
    with reader() as conn:
        row = conn.execute(sa.select(_backends).where(_backends.c.backend_host == backend_host)).first()
    if row is None:
        raise errors.NotFound("Backend", backend_host)
    return from_row(BackendEpoch, row)


@retry_on_conflict
def backend_epochs(backend_hosts: list[str]) -> dict[str, int]:
    """The current epoch of each of ``backend_hosts`` that has one."""
    if not backend_hosts:
        return {}
    with reader() as conn:
        rows = conn.execute(sa.select(_backends.c.backend_host, _backends.c.epoch)
                            .where(_backends.c.backend_host.in_(sorted(set(backend_hosts)))))
        return {row.backend_host: int(row.epoch) for row in rows}
