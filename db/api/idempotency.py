"""Idempotency keys: a retried POST gets the first answer instead of a second resource.

Each run of a request that holds a key holds it under its own ``claim_id``. Everything a run
does with the key (binding the resource it creates, storing its answer, forgetting a failure)
is conditional on still holding the claim, so a retry may take an old claim over without
risk: if the first run was only slow, not dead, its create loses and rolls back.

What is kept of an answer never holds a CHAP secret: the connection_info of an attachment
(POST /attachments with a connector, os-initialize_connection) is stored without its
``auth_password``, and a replay gets the secret of the volume's export put back, as a GET of
the attachment shows it (the export's secret is the one that works, and the answer's target
is that export). An answer larger than ``MAX_BODY_BYTES`` is kept as its status alone. A key
is forgotten ``ttl_s`` after it was claimed: a claim treats it as absent, and the purge removes it.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from common.redact import SECRET_FIELDS, chap_credentials, redact
from db import errors, models
from db.api._common import insert_ignore, utcnow
from db.models import table_of
from db.records import IdempotencyClaim, IdempotentReply
from db.session import retry_on_conflict, writer

_keys = table_of(models.IdempotencyKey)
_volumes = table_of(models.Volume)

# A create takes well under a second; a claim this old that neither answered nor created
# anything most likely belongs to a process that died, and a retry takes it over.
TAKEOVER_AFTER = timedelta(seconds=5)
# Far above any answer ember gives (request bodies stop at 112 KB), far below MEDIUMTEXT's 16 MB
# and MariaDB's max_allowed_packet.
MAX_BODY_BYTES = 1 << 20
PURGE_BATCH = 1000


def _key_of(claim: IdempotencyClaim) -> list[sa.ColumnElement[bool]]:
    return [_keys.c.project_id == claim.project_id, _keys.c.key == claim.key]


def _is(claim: IdempotencyClaim) -> list[sa.ColumnElement[bool]]:
    return [*_key_of(claim), _keys.c.claim_id == claim.claim_id]


@retry_on_conflict
def idempotency_claim(claim: IdempotencyClaim, request_path: str, *,
                      ttl_s: float | None = None) -> IdempotentReply | None:
    """None if this run now holds the key; else what the run holding it left so far.

    A key claimed more than ``ttl_s`` ago (None: never) is forgotten first.
    """
    now = utcnow()
    with writer() as conn:
        if ttl_s is not None:
            conn.execute(sa.delete(_keys).where(*_key_of(claim), _keys.c.created_at < now - timedelta(seconds=ttl_s)))
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
        body = None if row.body is None else _with_secrets(conn, row.body)
        return IdempotentReply(status_code=row.status_code, body=body, request_path=row.request_path,
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
def idempotency_store(claim: IdempotencyClaim, *, status_code: int, body: str | None) -> bool:
    """Keep the answer (less its secrets) for a retry; False if only its status is kept (no body, or too large)."""
    kept = None if body is None else without_secrets(body)
    if kept is not None and len(kept.encode()) > MAX_BODY_BYTES:
        kept = None
    with writer() as conn:
        conn.execute(sa.update(_keys).where(*_is(claim)).values(status_code=status_code, body=kept))
    return kept is not None


@retry_on_conflict
def idempotency_forget(claim: IdempotencyClaim) -> None:
    """Drop the key of a run that failed, so that a retry runs again.

    Kept if the run did create its resource (and failed after): a retry is answered from it.
    """
    with writer() as conn:
        conn.execute(sa.delete(_keys).where(*_is(claim), _keys.c.resource_id.is_(None)))


@retry_on_conflict
def idempotency_purge(ttl_s: float, *, batches: int | None = None) -> int:
    """Remove the keys claimed more than ``ttl_s`` ago, ``PURGE_BATCH`` rows per transaction (at most
    ``batches`` of them; None: all); the number removed."""
    cutoff = utcnow() - timedelta(seconds=ttl_s)
    removed = 0
    done = 0
    while batches is None or done < batches:
        with writer() as conn:
            expired = conn.execute(sa.select(_keys.c.project_id, _keys.c.key).where(_keys.c.created_at < cutoff)
                                   .order_by(_keys.c.created_at).limit(PURGE_BATCH)).all()
            if expired:
                removed += conn.execute(sa.delete(_keys).where(
                    sa.tuple_(_keys.c.project_id, _keys.c.key).in_([tuple(row) for row in expired]),
                    _keys.c.created_at < cutoff)).rowcount
        done += 1
        if len(expired) < PURGE_BATCH:
            break
    return removed


# -- the secrets of stored answers

def without_secrets(body: str) -> str:
    """``body`` (a JSON answer) without the value of any SECRET_FIELDS key, wherever it is."""
    if not any(name in body for name in SECRET_FIELDS):
        return body
    try:
        document = json.loads(body)
    except ValueError:
        return redact(body)
    return _dumps(_stripped(document))


def _stripped(node: Any) -> Any:
    if isinstance(node, dict):
        return {key: _stripped(value) for key, value in node.items() if key not in SECRET_FIELDS}
    if isinstance(node, list):
        return [_stripped(item) for item in node]
    return node


def _with_secrets(conn: Connection, body: str) -> str:
    """The stored answer with the CHAP secret of each volume export it names put back."""
    if '"CHAP"' not in body:
        return body
    document = json.loads(body)
    wanting = [data for data in _dicts(document)
               if data.get("auth_method") == "CHAP" and isinstance(data.get("volume_id"), str)]
    if not wanting:
        return body
    ids = sorted({data["volume_id"] for data in wanting})
    auth = dict(conn.execute(sa.select(_volumes.c.id, _volumes.c.provider_auth).where(
        _volumes.c.id.in_(ids), _volumes.c.deleted == sa.false())).tuples().all())
    for data in wanting:
        credentials = chap_credentials(auth.get(data["volume_id"]))
        if credentials is not None:  # else the export is gone: so is the target the answer names
            data["auth_username"], data["auth_password"] = credentials
    return _dumps(document)


def _dicts(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _dicts(value)
    elif isinstance(node, list):
        for item in node:
            yield from _dicts(item)


def _dumps(document: Any) -> str:
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)
