"""Service registrations and heartbeats (what os-services shows)."""

from __future__ import annotations

import sqlalchemy as sa

from db import errors, models
from db.api._common import utcnow
from db.models import table_of
from db.records import Service, from_row, from_rows
from db.session import reader, retry_on_conflict, writer

_services = table_of(models.Service)


@retry_on_conflict
def service_heartbeat(*, host: str, binary: str, topic: str, availability_zone: str) -> None:
    """Record that the service is alive, registering it on its first beat."""
    now = utcnow()
    with writer() as conn:
        changed = conn.execute(sa.update(_services)
                               .where(_services.c.host == host, _services.c.binary == binary)
                               .values(heartbeat_at=now, topic=topic, availability_zone=availability_zone)
                               ).rowcount
        if not changed:
            conn.execute(sa.insert(_services).values(host=host, binary=binary, topic=topic,
                                                     availability_zone=availability_zone, disabled=False,
                                                     created_at=now, heartbeat_at=now))


@retry_on_conflict
def service_list(*, binary: str | None = None, host: str | None = None) -> list[Service]:
    query = sa.select(_services).order_by(_services.c.binary, _services.c.host)
    if binary:
        query = query.where(_services.c.binary == binary)
    if host:
        query = query.where(_services.c.host == host)
    with reader() as conn:
        return from_rows(Service, conn.execute(query))


@retry_on_conflict
def service_set_disabled(*, host: str, binary: str, disabled: bool, reason: str | None = None) -> Service:
    with writer() as conn:
        changed = conn.execute(sa.update(_services)
                               .where(_services.c.host == host, _services.c.binary == binary)
                               .values(disabled=disabled, disabled_reason=reason if disabled else None)).rowcount
        if not changed:
            raise errors.NotFound("Service", f"{binary} on {host}")
        return from_row(Service, conn.execute(sa.select(_services).where(
            _services.c.host == host, _services.c.binary == binary)).one())
