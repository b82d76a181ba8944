"""Tracked work: the claim a service holds on a resource while it runs an operation on it.

A claim is taken in the transaction that checks the resource is still in the operation's
working status (and bumps its version), so a request that changes the resource meanwhile
either comes first (and no claim is taken) or loses its compare-and-swap. Landing the
operation ends the claim in the same transaction as the status change: a claim that was taken
away (an admin reset a dead holder's resource, a successor took the work over) makes the
landing change nothing. This table is what recovery and the admin actions read.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from db import errors, models
from db.api._common import cas_update, utcnow
from db.api.backends import fence
from db.models import table_of
from db.records import TrackedWork, WorkClaim, from_row, from_rows
from db.session import reader, retry_on_conflict, writer

_work = table_of(models.TrackedWork)
_services = table_of(models.Service)
_RESOURCES = {"volume": table_of(models.Volume), "snapshot": table_of(models.Snapshot),
              "attachment": table_of(models.Attachment), "backup": table_of(models.Backup),
              "group_snapshot": table_of(models.GroupSnapshot)}
# built once: every operation runs them
_DROP_CLAIMS = sa.delete(_work).where(_work.c.resource_id == sa.bindparam("_resource"))
_END_CLAIM = _DROP_CLAIMS.where(_work.c.claim_id == sa.bindparam("_claim"))
_ADD_CLAIM = sa.insert(_work)


@dataclass(frozen=True)
class HolderCheck:
    """How an admin action tells a live claim holder from a dead one: its service's heartbeat."""

    binary: str
    alive_within_s: float


def work_claim(*, resource_type: str, resource_id: str, operation: str, working_status: str, backend_host: str,
               node: str, epoch: int | None = None) -> WorkClaim | None:
    """Claim the resource for ``operation`` if it is still ``working_status``; None if it is not.

    A claim a dead holder (or an older epoch) left on the resource is replaced. Under an
    ``epoch`` that is no longer the backend's, Fenced.
    """
    claim = WorkClaim(resource_type=resource_type, resource_id=resource_id, operation=operation,
                      backend_host=backend_host, node=node, epoch=epoch, claim_id=str(uuid.uuid4()))
    return claim if _claim(claim, working_status) else None


@retry_on_conflict
def _claim(claim: WorkClaim, working_status: str) -> bool:
    with writer() as conn:
        _fence(conn, claim)
        if not cas_update(conn, _RESOURCES[claim.resource_type], claim.resource_id,
                          sources=frozenset({working_status}), values={}):
            return False
        conn.execute(_DROP_CLAIMS, {"_resource": claim.resource_id})
        conn.execute(_ADD_CLAIM, {
            "resource_type": claim.resource_type, "resource_id": claim.resource_id, "operation": claim.operation,
            "backend_host": claim.backend_host, "service_host": claim.node, "epoch": claim.epoch or 0,
            "claim_id": claim.claim_id, "started_at": utcnow()})
        return True


def _fence(conn: Connection, claim: WorkClaim) -> None:
    if claim.epoch is not None:
        fence(conn, claim.backend_host, claim.epoch)


def end_claim(conn: Connection, claim: WorkClaim | None) -> None:
    """Inside a landing transaction: end ``claim``; ClaimLost (rolling the landing back) if it was taken,
    Fenced if its epoch was passed by a takeover."""
    if claim is None:
        return
    _fence(conn, claim)
    ended = conn.execute(_END_CLAIM, {"_resource": claim.resource_id, "_claim": claim.claim_id}).rowcount
    if ended != 1:
        raise errors.ClaimLost(claim.resource_type, claim.resource_id, claim.operation)


@retry_on_conflict
def work_release(claim: WorkClaim) -> bool:
    """End a claim without landing anything; False if it had been taken away already."""
    with writer() as conn:
        _fence(conn, claim)
        return bool(conn.execute(sa.delete(_work).where(_work.c.resource_id == claim.resource_id,
                                                        _work.c.claim_id == claim.claim_id)).rowcount)


def revoke_dead_claim(conn: Connection, resource_type: str, resource_id: str, *, holder_binary: str,
                      alive_within_s: float) -> TrackedWork | None:
    """Inside an admin action's transaction: take the resource's claim away from a dead holder.

    Raises Busy if the holding process has beaten within ``alive_within_s``: it may still be
    calling the driver, and an admin change now would race it. Returns the revoked claim.
    """
    row = conn.execute(sa.select(_work).where(_work.c.resource_id == resource_id)).first()
    if row is None:
        return None
    work = from_row(TrackedWork, row)
    beat = conn.execute(sa.select(_services.c.heartbeat_at).where(
        _services.c.host == work.backend_host, _services.c.binary == holder_binary,
        _services.c.node == work.service_host)).scalar()
    if beat is not None and beat >= utcnow() - timedelta(seconds=alive_within_s):
        raise errors.Busy(resource_type, resource_id, operation=work.operation, holder=work.service_host,
                          backend_host=work.backend_host, started_at=work.started_at)
    conn.execute(sa.delete(_work).where(_work.c.id == work.id))
    return work


@retry_on_conflict
def work_list(*, backend_host: str | None = None) -> list[TrackedWork]:
    query = sa.select(_work).order_by(_work.c.started_at)
    if backend_host is not None:
        query = query.where(_work.c.backend_host == backend_host)
    with reader() as conn:
        return from_rows(TrackedWork, conn.execute(query))
