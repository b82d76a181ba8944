"""Idempotency keys: a retried POST gets the first answer instead of a second resource."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from db import models
from db.api._common import insert_ignore, utcnow
from db.models import table_of
from db.records import IdempotentReply
from db.session import retry_on_conflict, writer

_keys = table_of(models.IdempotencyKey)


ABANDONED_AFTER = timedelta(seconds=60)


@retry_on_conflict
def idempotency_claim(project_id: str, key: str, request_path: str) -> IdempotentReply | None:
    """None if this request runs as the first with ``key``; else what the first one left.

    A claim that never answered nor created anything for ``ABANDONED_AFTER`` belongs to a
    process that died: the caller takes it over (one compare-and-swap on its timestamp).
    """
    now = utcnow()
    with writer() as conn:
        if insert_ignore(conn, _keys, {"project_id": project_id, "key": key, "request_path": request_path,
                                       "created_at": now}):
            return None
        row = conn.execute(sa.select(_keys).where(_keys.c.project_id == project_id, _keys.c.key == key)).one()
        abandoned = row.status_code is None and row.resource_id is None and row.created_at < now - ABANDONED_AFTER
        if abandoned and conn.execute(sa.update(_keys).where(
                _keys.c.project_id == project_id, _keys.c.key == key, _keys.c.created_at == row.created_at,
                _keys.c.status_code.is_(None), _keys.c.resource_id.is_(None)).values(created_at=now)).rowcount:
            return None
        return IdempotentReply(status_code=row.status_code, body=row.body, request_path=row.request_path,
                               resource_id=row.resource_id)


def bind_resource(conn: Connection, idempotency: tuple[str, str] | None, resource_id: str) -> None:
    """Inside the transaction that creates ``resource_id``: record it under its Idempotency-Key."""
    if idempotency is not None:
        project_id, key = idempotency
        conn.execute(sa.update(_keys).where(_keys.c.project_id == project_id, _keys.c.key == key)
                     .values(resource_id=resource_id))


@retry_on_conflict
def idempotency_store(project_id: str, key: str, *, status_code: int, body: str) -> None:
    with writer() as conn:
        conn.execute(sa.update(_keys).where(_keys.c.project_id == project_id, _keys.c.key == key)
                     .values(status_code=status_code, body=body))


@retry_on_conflict
def idempotency_forget(project_id: str, key: str) -> None:
    """Drop a key whose request failed, so that a retry runs again."""
    with writer() as conn:
        conn.execute(sa.delete(_keys).where(_keys.c.project_id == project_id, _keys.c.key == key))
