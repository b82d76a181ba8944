"""Idempotency keys: a retried POST gets the first answer instead of a second resource.

Each run of a request that holds a key holds it under its own ``claim_id``. Everything a run
does with the key (binding the resource it creates, storing its answer, forgetting a failure)
is conditional on still holding the claim, so a retry may take an old claim over without
risk: if the first run was only slow, not dead, its create loses and rolls back.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from db import errors, models
from db.api._common import insert_ignore, utcnow
from db.models import table_of
from db.records import IdempotencyClaim, IdempotentReply
from db.session import retry_on_conflict, writer

_keys = table_of(models.IdempotencyKey)

# A create takes well under a second; a claim this old that neither answered nor created
# anything most likely belongs to a process that died, and a retry takes it over.
TAKEOVER_AFTER = timedelta(seconds=5)


def _key_of(claim: IdempotencyClaim) -> list[sa.ColumnElement[bool]]:
    return [_keys.c.project_id == claim.project_id, _keys.c.key == claim.key]


def _is(claim: IdempotencyClaim) -> list[sa.ColumnElement[bool]]:
    return [*_key_of(claim), _keys.c.claim_id == claim.claim_id]


@retry_on_conflict
def idempotency_claim(claim: IdempotencyClaim, request_path: str) -> IdempotentReply | None:
    """None if this run now holds the key; else what the run holding it left so far."""
    now = utcnow()
    with writer() as conn:
        if insert_ignore(conn, _keys, {"project_id": claim.project_id, "key": claim.key,
                                       "request_path": request_path, "claim_id": claim.claim_id,
                                       "created_at": now}):
            return None
        row = conn.execute(sa.select(_keys).where(*_key_of(claim))).one()
        unfinished = row.status_code is None and row.resource_id is None
        if unfinished and row.request_path == request_path and row.created_at < now - TAKEOVER_AFTER:
            holder = dataclasses.replace(claim, claim_id=row.claim_id)
            taken = conn.execute(sa.update(_keys).where(
                *_is(holder), _keys.c.status_code.is_(None), _keys.c.resource_id.is_(None),
            ).values(claim_id=claim.claim_id, created_at=now)).rowcount
            if taken:
                return None
        return IdempotentReply(status_code=row.status_code, body=row.body, request_path=row.request_path,
                               resource_id=row.resource_id)


def bind_resource(conn: Connection, claim: IdempotencyClaim | None, resource_id: str) -> None:
    """Inside the transaction that creates ``resource_id``: record it under the claimed key.

    Raises Duplicate, rolling the create back, if a retry took the claim over meanwhile.
    """
    if claim is None:
        return
    bound = conn.execute(sa.update(_keys).where(*_is(claim), _keys.c.resource_id.is_(None))
                         .values(resource_id=resource_id)).rowcount
    if bound != 1:
        raise errors.Duplicate(f"A retry of this request with Idempotency-Key {claim.key!r} took it over; "
                               "its answer is the one that counts.")


@retry_on_conflict
def idempotency_store(claim: IdempotencyClaim, *, status_code: int, body: str) -> None:
    with writer() as conn:
        conn.execute(sa.update(_keys).where(*_is(claim)).values(status_code=status_code, body=body))


@retry_on_conflict
def idempotency_forget(claim: IdempotencyClaim) -> None:
    """Drop the key of a run that failed, so that a retry runs again.

    Kept if the run did create its resource (and failed after): a retry is answered from it.
    """
    with writer() as conn:
        conn.execute(sa.delete(_keys).where(*_is(claim), _keys.c.resource_id.is_(None)))
