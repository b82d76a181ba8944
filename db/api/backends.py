"""Backends: who is the active volume service of each, under which epoch, with a lease until when.

The epoch is the fencing token: it grows at every new holder, and every write the volume side
makes checks, in its own transaction, that its epoch is still the backend's (``fence``). With
the SQL election the lease lives in the same row (claimed by conditional update, renewed by
its holder); with etcd or Consul the lock lives there and the new holder only advances the epoch here.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from db import errors, models
from db.api._common import insert_ignore, utcnow
from db.models import table_of
from db.records import BackendLease, from_row
from db.session import reader, retry_on_conflict, writer

_backends = table_of(models.Backend)


def fence(conn: Connection, backend_host: str, epoch: int) -> None:
    """Inside a volume-side write: raise Fenced (rolling it back) unless ``epoch`` is still current.

    It touches the backend's row, so a takeover advancing the epoch waits for this write to end,
    or this write for the takeover: no write of an old epoch can land after the new one begins.
    """
    touched = conn.execute(sa.update(_backends).where(_backends.c.backend_host == backend_host,
                                                      _backends.c.epoch == epoch)
                           .values(fenced_writes=_backends.c.fenced_writes + 1)).rowcount
    if touched != 1:
        raise errors.Fenced(backend_host, epoch)


def _ensure(conn: Connection, backend_host: str) -> None:
    insert_ignore(conn, _backends, {"backend_host": backend_host, "epoch": 0, "fenced_writes": 0,
                                    "updated_at": utcnow()})


@retry_on_conflict
def backend_lease_claim(backend_host: str, *, node: str, ttl_s: float) -> int | None:
    """Take the backend's lease if nobody holds it (or it ran out): the new epoch, else None."""
    now = utcnow()
    with writer() as conn:
        _ensure(conn, backend_host)
        free = sa.or_(_backends.c.holder.is_(None), _backends.c.lease_expires_at.is_(None),
                      _backends.c.lease_expires_at < now)
        taken = conn.execute(sa.update(_backends).where(_backends.c.backend_host == backend_host, free).values(
            holder=node, epoch=_backends.c.epoch + 1, lease_expires_at=now + timedelta(seconds=ttl_s),
            updated_at=now)).rowcount
        if not taken:
            return None
        return int(conn.execute(sa.select(_backends.c.epoch).where(
            _backends.c.backend_host == backend_host)).scalar_one())


@retry_on_conflict
def backend_lease_renew(backend_host: str, *, node: str, epoch: int, ttl_s: float) -> bool:
    """Extend the lease ``node`` holds under ``epoch``; False if it is no longer theirs."""
    now = utcnow()
    with writer() as conn:
        return conn.execute(sa.update(_backends).where(
            _backends.c.backend_host == backend_host, _backends.c.holder == node, _backends.c.epoch == epoch,
            _backends.c.lease_expires_at >= now).values(
                lease_expires_at=now + timedelta(seconds=ttl_s), updated_at=now)).rowcount == 1


@retry_on_conflict
def backend_lease_release(backend_host: str, *, node: str, epoch: int) -> None:
    """Give the lease up at once (a clean stop), so that a standby takes over without waiting."""
    with writer() as conn:
        conn.execute(sa.update(_backends).where(
            _backends.c.backend_host == backend_host, _backends.c.holder == node, _backends.c.epoch == epoch)
            .values(holder=None, lease_expires_at=None, updated_at=utcnow()))


@retry_on_conflict
def backend_epoch_advance(backend_host: str, *, node: str) -> int:
    """A new holder of the backend's etcd or Consul lock: the next epoch, recorded with its holder."""
    with writer() as conn:
        _ensure(conn, backend_host)
        conn.execute(sa.update(_backends).where(_backends.c.backend_host == backend_host).values(
            holder=node, epoch=_backends.c.epoch + 1, lease_expires_at=None, updated_at=utcnow()))
        return int(conn.execute(sa.select(_backends.c.epoch).where(
            _backends.c.backend_host == backend_host)).scalar_one())


@retry_on_conflict
def backend_get(backend_host: str) -> BackendLease:
    with reader() as conn:
        row = conn.execute(sa.select(_backends).where(_backends.c.backend_host == backend_host)).first()
    if row is None:
        raise errors.NotFound("Backend", backend_host)
    return from_row(BackendLease, row)


@retry_on_conflict
def backend_epochs(backend_hosts: list[str]) -> dict[str, int]:
    """The current epoch of each of ``backend_hosts`` that has one."""
    if not backend_hosts:
        return {}
    with reader() as conn:
        rows = conn.execute(sa.select(_backends.c.backend_host, _backends.c.epoch)
                            .where(_backends.c.backend_host.in_(sorted(set(backend_hosts)))))
        return {row.backend_host: int(row.epoch) for row in rows}
