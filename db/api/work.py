"""Tracked work: what a volume or backup service has started and not yet finished."""

from __future__ import annotations

import sqlalchemy as sa

from db import models
from db.api._common import insert_ignore, utcnow
from db.models import table_of
from db.records import TrackedWork, from_rows
from db.session import reader, retry_on_conflict, writer

_work = table_of(models.TrackedWork)


@retry_on_conflict
def work_begin(*, resource_type: str, resource_id: str, operation: str, backend_host: str,
               service_host: str, epoch: int = 0) -> None:
    with writer() as conn:
        insert_ignore(conn, _work, {"resource_type": resource_type, "resource_id": resource_id,
                                     "operation": operation, "backend_host": backend_host,
                                     "service_host": service_host, "epoch": epoch, "started_at": utcnow()})


@retry_on_conflict
def work_end(*, resource_id: str, operation: str) -> None:
    with writer() as conn:
        conn.execute(sa.delete(_work).where(_work.c.resource_id == resource_id, _work.c.operation == operation))


@retry_on_conflict
def work_list(*, backend_host: str | None = None) -> list[TrackedWork]:
    query = sa.select(_work).order_by(_work.c.started_at)
    if backend_host is not None:
        query = query.where(_work.c.backend_host == backend_host)
    with reader() as conn:
        return from_rows(TrackedWork, conn.execute(query))
