"""User messages: the reason an asynchronous request failed, readable by its project."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from common.redact import redact
from db import errors, models
from db.api._common import list_query, new_id, project_scope, utcnow
from db.models import table_of
from db.records import UserMessage, from_row, from_rows
from db.session import reader, retry_on_conflict, writer

_messages = table_of(models.UserMessage)

MESSAGE_TTL = timedelta(days=30)


@retry_on_conflict
def message_create(*, project_id: str, resource_type: str, resource_uuid: str, event_id: str,
                   user_message: str, request_id: str | None = None, level: str = "ERROR") -> None:
    now = utcnow()
    with writer() as conn:
        conn.execute(sa.insert(_messages).values(
            id=new_id(), project_id=project_id, resource_type=resource_type, resource_uuid=resource_uuid,
            event_id=event_id, message_level=level, user_message=redact(user_message)[:1024],
            request_id=request_id, created_at=now, expires_at=now + MESSAGE_TTL))


@retry_on_conflict
def message_create_once(*, project_id: str, resource_type: str, resource_uuid: str, event_id: str,
                        user_message: str, level: str = "ERROR") -> bool:
    """A message, unless the resource already has one for ``event_id``; True if this call made it."""
    with writer() as conn:
        exists = conn.execute(sa.select(_messages.c.id).where(_messages.c.resource_uuid == resource_uuid,
                                                              _messages.c.event_id == event_id).limit(1)).first()
        if exists is not None:
            return False
        now = utcnow()
        conn.execute(sa.insert(_messages).values(
            id=new_id(), project_id=project_id, resource_type=resource_type, resource_uuid=resource_uuid,
            event_id=event_id, message_level=level, user_message=user_message[:1024], request_id=None,
            created_at=now, expires_at=now + MESSAGE_TTL))
        return True


SORT_KEYS = frozenset({"id", "event_id", "resource_type", "resource_uuid", "message_level", "request_id",
                       "created_at", "expires_at"})
FILTER_KEYS = frozenset({"event_id", "resource_type", "resource_uuid", "message_level", "request_id"})


@retry_on_conflict
def message_list(*, project_id: str | None, filters: Mapping[str, Any] | None = None,
                 sort: Sequence[tuple[str, str]] = (("created_at", "desc"),), limit: int | None = None,
                 marker: str | None = None, offset: int | None = None) -> list[UserMessage]:
    scope = project_scope(_messages, project_id)
    where = [*scope, *(_messages.c[k] == v for k, v in (filters or {}).items() if k in FILTER_KEYS)]
    with reader() as conn:
        return from_rows(UserMessage, list_query(conn, _messages, resource="message", where=where, sort=sort,
                                                 limit=limit, marker=marker, offset=offset, marker_scope=scope))


@retry_on_conflict
def message_get(message_id: str, *, project_id: str | None) -> UserMessage:
    query = sa.select(_messages).where(_messages.c.id == message_id)
    if project_id is not None:
        query = query.where(_messages.c.project_id == project_id)
    with reader() as conn:
        row = conn.execute(query).first()
    if row is None:
        raise errors.NotFound("Message", message_id)
    return from_row(UserMessage, row)


@retry_on_conflict
def message_delete(message_id: str, *, project_id: str | None) -> None:
    query = sa.delete(_messages).where(_messages.c.id == message_id)
    if project_id is not None:
        query = query.where(_messages.c.project_id == project_id)
    with writer() as conn:
        if not conn.execute(query).rowcount:
            raise errors.NotFound("Message", message_id)
