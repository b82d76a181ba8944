"""Housekeeping an operator runs: purging old deleted rows and expired keys, taking work away from dead services."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from db import models
from db.api._common import utcnow
from db.api.idempotency import idempotency_purge
from db.models import table_of
from db.records import Service, from_rows
from db.session import retry_on_conflict, writer

_SOFT_DELETED = (models.Volume, models.Snapshot, models.Attachment, models.Backup, models.VolumeType)
_services = table_of(models.Service)
_work = table_of(models.TrackedWork)
_messages = table_of(models.UserMessage)

SERVICE_FILTERS = ("service_id", "host", "binary", "disabled")
WORK_FILTERS = ("resource_id", "resource_type")


@retry_on_conflict
def db_purge(age_days: int, *, idempotency_ttl_s: float | None = None) -> dict[str, int]:
    """Remove rows soft-deleted more than ``age_days`` ago, expired messages and (given their
    ``idempotency_ttl_s``) expired idempotency keys; rows removed per table."""
    cutoff = utcnow() - timedelta(days=age_days)
    removed: dict[str, int] = {}
    with writer() as conn:
        for model in _SOFT_DELETED:
            table = table_of(model)
            removed[table.name] = conn.execute(sa.delete(table).where(
                table.c.deleted == sa.true(), table.c.deleted_at < cutoff)).rowcount
        removed["messages"] = conn.execute(sa.delete(_messages).where(_messages.c.expires_at < utcnow())).rowcount
    if idempotency_ttl_s is not None:
        removed["idempotency_keys"] = idempotency_purge(idempotency_ttl_s)
    return removed


@dataclass(frozen=True)
class Cleanup:
    cleaning: list[Service]      # down services whose work was taken away; their backend's active resumes it
    unavailable: list[Service]   # down services whose backend has no live process to resume it


@retry_on_conflict
def work_cleanup(filters: Mapping[str, Any], *, binary: str, down_after_s: float) -> Cleanup:
    """Cinder's workers/cleanup: take the claims of the matching services that are down away from them.

    ``filters`` are Cinder's: service_id, host, binary, disabled, is_up (only false makes sense
    here: a live service keeps its work), resource_id, resource_type.
    """
    alive_since = utcnow() - timedelta(seconds=down_after_s)
    where: list[Any] = [_services.c.binary == binary]
    if "service_id" in filters:
        where.append(_services.c.id == filters["service_id"])
    if "host" in filters:
        where.append(_services.c.host == filters["host"])
    if "disabled" in filters:
        where.append(_services.c.disabled == bool(filters["disabled"]))
    with writer() as conn:
        matched = from_rows(Service, conn.execute(sa.select(_services).where(*where).order_by(_services.c.id)))
        down = [s for s in matched if s.heartbeat_at < alive_since]
        if filters.get("is_up"):
            down = []
        alive_hosts = {s.host for s in conn.execute(sa.select(_services.c.host).where(
            _services.c.binary == binary, _services.c.heartbeat_at >= alive_since))}
        for service in down:
            claims = [_work.c.backend_host == service.host, _work.c.service_host == service.node]
            claims += [_work.c[k] == filters[k] for k in WORK_FILTERS if k in filters]
            conn.execute(sa.delete(_work).where(*claims))
    return Cleanup(cleaning=[s for s in down if s.host in alive_hosts],
                   unavailable=[s for s in down if s.host not in alive_hosts])
