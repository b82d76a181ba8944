"""Service registrations and heartbeats (what os-services shows), one row per process.

A backend's volume services share its host (host@backend) and differ by node; enabling,
disabling, freezing and thawing change every row of a host at once, and a process that
registers later takes its host's current settings.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

import sqlalchemy as sa

from db import errors, models
from db.api._common import utcnow
from db.models import table_of
from db.records import Service, from_row, from_rows
from db.session import reader, retry_on_conflict, writer

_services = table_of(models.Service)

_INHERITED = ("disabled", "disabled_reason", "frozen")


@retry_on_conflict
def service_heartbeat(*, host: str, binary: str, topic: str, availability_zone: str, node: str | None = None,
                      ha_role: str | None = None, ha_epoch: int | None = None) -> None:
    """Record that the process ``node`` (default: ``host``) is alive, registering it on its first beat."""
    node = node or host
    now = utcnow()
    beat = {"heartbeat_at": now, "topic": topic, "availability_zone": availability_zone, "ha_role": ha_role,
            "ha_epoch": ha_epoch}
    with writer() as conn:
        changed = conn.execute(sa.update(_services).where(*_is(host, binary), _services.c.node == node)
                               .values(**beat)).rowcount
        if changed:
            return
        sibling = conn.execute(sa.select(*(_services.c[k] for k in _INHERITED))
                               .where(*_is(host, binary)).limit(1)).first()
        inherited = dict(sibling._mapping) if sibling else {"disabled": False, "frozen": False}
        conn.execute(sa.insert(_services).values(host=host, binary=binary, node=node, created_at=now, **beat,
                                                 **inherited))


def _is(host: str, binary: str) -> list[sa.ColumnElement[bool]]:
    return [_services.c.host == host, _services.c.binary == binary]


@retry_on_conflict
def service_list(*, binary: str | None = None, host: str | None = None) -> list[Service]:
    query = sa.select(_services).order_by(_services.c.binary, _services.c.host, _services.c.node)
    if binary:
        query = query.where(_services.c.binary == binary)
    if host:
        query = query.where(_services.c.host == host)
    with reader() as conn:
        return from_rows(Service, conn.execute(query))


@retry_on_conflict
def service_set_disabled(*, host: str, binary: str, disabled: bool, reason: str | None = None) -> Service:
    return _set_on_host(host, binary, disabled=disabled, disabled_reason=reason if disabled else None)


@retry_on_conflict
def service_set_frozen(*, host: str, binary: str, frozen: bool) -> Service:
    return _set_on_host(host, binary, frozen=frozen)


def _set_on_host(host: str, binary: str, **values: object) -> Service:
    with writer() as conn:
        if not conn.execute(sa.update(_services).where(*_is(host, binary)).values(**values)).rowcount:
            raise errors.NotFound("Service", f"{binary} on {host}")
        return from_row(Service, conn.execute(sa.select(_services).where(*_is(host, binary)).limit(1)).one())


@retry_on_conflict
def service_hosts_closed(binary: str, hosts: Iterable[str]) -> dict[str, str]:
    """host -> why it takes no new work ("disabled: <reason>", "frozen"), for those of ``hosts`` that don't."""
    wanted = sorted(set(hosts))
    if not wanted:
        return {}
    query = sa.select(_services.c.host, _services.c.disabled, _services.c.disabled_reason, _services.c.frozen).where(
        _services.c.binary == binary, _services.c.host.in_(wanted),
        sa.or_(_services.c.disabled == sa.true(), _services.c.frozen == sa.true()))
    closed: dict[str, str] = {}
    with reader() as conn:
        for row in conn.execute(query):
            if row.frozen:
                closed[row.host] = "frozen"
            else:
                closed[row.host] = f"disabled: {row.disabled_reason}" if row.disabled_reason else "disabled"
    return closed


@retry_on_conflict
def service_alive(*, host: str, binary: str, node: str, within_s: float) -> bool:
    """Whether process ``node`` of ``binary`` on ``host`` has beaten in the last ``within_s`` seconds."""
    with reader() as conn:
        return conn.execute(sa.select(_services.c.id).where(
            *_is(host, binary), _services.c.node == node,
            _services.c.heartbeat_at >= utcnow() - timedelta(seconds=within_s))).first() is not None


@retry_on_conflict
def service_remove(*, host: str, binary: str, node: str | None = None) -> int:
    """Forget the rows of ``binary`` on ``host`` (one node's, or all); how many went."""
    where = _is(host, binary) + ([_services.c.node == node] if node else [])
    with writer() as conn:
        return int(conn.execute(sa.delete(_services).where(*where)).rowcount)
