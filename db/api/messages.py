"""User messages: the reason an asynchronous request failed, readable by its project."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from db import errors, models
from db.api._common import new_id, utcnow
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
            event_id=event_id, message_level=level, user_message=user_message[:1024],
            request_id=request_id, created_at=now, expires_at=now + MESSAGE_TTL))


@retry_on_conflict
def message_list(*, project_id: str | None, resource_uuid: str | None = None) -> list[UserMessage]:
    query = sa.select(_messages).order_by(_messages.c.created_at.desc())
    if project_id is not None:
        query = query.where(_messages.c.project_id == project_id)
    if resource_uuid is not None:
        query = query.where(_messages.c.resource_uuid == resource_uuid)
    with reader() as conn:
        return from_rows(UserMessage, conn.execute(query))


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
