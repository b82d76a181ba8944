"""Attachment rows, and the volume status that follows them.

Every change of an attachment is one transaction that first bumps its volume's version (so it
is ordered against every other request on the volume: a delete, an extend, another attach),
then moves the attachment along its edge, then settles the volume: its status and
attach_status become what its live attachments give it (``states.settled``), unless the
volume is busy with something else (extending, error, ...), which its own edges settle later.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from db import errors, models
from db.api import transitions
from db.api._common import cas_update, get_one, list_query, new_id, project_scope, utcnow
from db.api.settle import SettleRule, settle
from db.api.transitions import Effects, Guard
from db.api.work import HolderCheck
from db.models import table_of
from db.records import Attachment, Volume, WorkClaim, from_row, from_rows
from db.session import reader, retry_on_conflict, writer

_attachments = table_of(models.Attachment)
_volumes = table_of(models.Volume)

Edge = tuple[frozenset[str], str]

SORT_KEYS = frozenset({"id", "status", "created_at", "updated_at", "volume_id", "instance_uuid"})
FILTER_KEYS = frozenset({"volume_id", "status", "instance_uuid", "attached_host"})


@retry_on_conflict
def attachment_reserve(volume_id: str, *, status: str, sources: frozenset[str], expected_version: int,
                       instance_uuid: str | None, attach_mode: str, multiattach: bool, rule: SettleRule,
                       attachment_id: str | None = None, project_id: str | None = None) -> Attachment | None:
    """A new attachment in ``status``, if the volume is still in ``sources`` at ``expected_version``.

    None if another request changed the volume first. A volume that is not multiattach and
    already has a live attachment raises Conflict (an admin's reset may leave one behind).
    ``project_id``: the volume's project at ``expected_version`` when the caller read it (the swap checks the version).
    """
    attachment_id = attachment_id or new_id()
    with writer() as conn:
        if not cas_update(conn, _volumes, volume_id, sources=sources, expected_version=expected_version, values={}):
            return None
        if project_id is None:
            project_id = from_row(Volume, get_one(conn, _volumes, volume_id, resource="Volume")).project_id
        if not multiattach and _live_count(conn, volume_id):
            raise errors.Conflict(f"Invalid volume: volume {volume_id} is not multiattach and already has an "
                                  "attachment.")
        conn.execute(sa.insert(_attachments).values(
            id=attachment_id, volume_id=volume_id, project_id=project_id, instance_uuid=instance_uuid,
            attach_mode=attach_mode, status=status, version=1, created_at=utcnow(), deleted=False))
        settle(conn, volume_id, rule)
        return from_row(Attachment, get_one(conn, _attachments, attachment_id, resource="Attachment"))


def _live_count(conn: Connection, volume_id: str, statuses: Iterable[str] | None = None) -> int:
    where = [_attachments.c.volume_id == volume_id, _attachments.c.deleted == sa.false()]
    if statuses is not None:
        where.append(_attachments.c.status.in_(sorted(statuses)))
    return int(conn.execute(sa.select(sa.func.count()).select_from(_attachments).where(*where)).scalar_one())


def attachment_transition(attachment_id: str, edge: Edge, *, rule: SettleRule, expected_version: int | None = None,
                          volume_sources: frozenset[str] | None = None, destroy: bool = False,
                          claim: WorkClaim | None = None, revoke: HolderCheck | None = None,
                          **values: Any) -> Attachment | None:
    """Move the attachment along ``edge`` (if it is in a source, at ``expected_version``) and settle its volume.

    ``volume_sources``: the volume must also be in one of these; ``destroy`` soft-deletes the
    attachment (its detach time is now). None if either was not as required (``transitions.transition``).
    """
    changed: Attachment | None = transitions.transition(
        "attachment", attachment_id, edge,
        guard=Guard(expected_version=expected_version, claim=claim, revoke=revoke, volume_sources=volume_sources),
        effects=Effects(values=values, settle=rule, destroy=destroy))
    return changed


@retry_on_conflict
def attachment_connection_end(attachment_id: str, *, statuses: frozenset[str]) -> Attachment | None:
    """Record that the attachment's host lost its access (os-terminate_connection): its connection_info
    goes, its status stays. None if it is not (or no longer) in ``statuses``."""
    with writer() as conn:
        row = conn.execute(sa.select(_attachments.c.volume_id).where(_attachments.c.id == attachment_id,
                                                                     _attachments.c.deleted == sa.false())).first()
        if row is None:
            return None
        if not cas_update(conn, _volumes, row.volume_id, sources=None, values={}):  # the volume first, as always
            return None
        # SQL NULL, not JSON null: ``attachment_list_unfinished`` asks for the connected ones in SQL
        if not cas_update(conn, _attachments, attachment_id, sources=statuses, values={"connection_info": sa.null()}):
            return None
        return from_row(Attachment, conn.execute(sa.select(_attachments).where(_attachments.c.id == attachment_id))
                        .one())


@retry_on_conflict
def attachment_get(attachment_id: str, *, project_id: str | None = None) -> Attachment:
    with reader() as conn:
        return from_row(Attachment, get_one(conn, _attachments, attachment_id, resource="Attachment",
                                            project_id=project_id))


def _filters(project_id: str | None, filters: Mapping[str, Any]) -> list[Any]:
    where: list[Any] = [_attachments.c.deleted == sa.false()]
    if project_id is not None:
        where.append(_attachments.c.project_id == project_id)
    for key, value in filters.items():
        if key == "status":  # one status, or any of a list
            where.append(_attachments.c.status.in_([value] if isinstance(value, str) else sorted(value)))
        elif key in FILTER_KEYS:
            where.append(_attachments.c[key] == value)
    return where


@retry_on_conflict
def attachment_list(*, project_id: str | None, filters: Mapping[str, Any] | None = None,
                    sort: Sequence[tuple[str, str]] = (("created_at", "desc"),), limit: int | None = None,
                    marker: str | None = None, offset: int | None = None) -> list[Attachment]:
    with reader() as conn:
        rows = list_query(conn, _attachments, resource="attachment", where=_filters(project_id, filters or {}),
                          sort=sort, limit=limit, marker=marker, offset=offset,
                          marker_scope=project_scope(_attachments, project_id))
    return from_rows(Attachment, rows)


@retry_on_conflict
def attachment_count(*, project_id: str | None, filters: Mapping[str, Any] | None = None) -> int:
    with reader() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(_attachments)
                                .where(*_filters(project_id, filters or {}))).scalar_one())


_LIVE_OLDEST_FIRST = (sa.select(_attachments).where(_attachments.c.deleted == sa.false())
                      .order_by(_attachments.c.created_at, _attachments.c.id))
_OF_VOLUME = _LIVE_OLDEST_FIRST.where(_attachments.c.volume_id == sa.bindparam("_volume"))


@retry_on_conflict
def attachments_of(volume_ids: Iterable[str]) -> dict[str, list[Attachment]]:
    """The live attachments of each volume, oldest first (a volume without any is left out)."""
    ids = sorted(set(volume_ids))
    if not ids:
        return {}
    with reader() as conn:
        rows = conn.execute(_LIVE_OLDEST_FIRST.where(_attachments.c.volume_id.in_(ids)))
        found: dict[str, list[Attachment]] = {}
        for attachment in from_rows(Attachment, rows):
            found.setdefault(attachment.volume_id, []).append(attachment)
        return found


@retry_on_conflict
def attachments_of_volume(volume_id: str) -> list[Attachment]:
    """The volume's live attachments, oldest first (each connect and disconnect reads them)."""
    with reader() as conn:
        return from_rows(Attachment, conn.execute(_OF_VOLUME, {"_volume": volume_id}))



@retry_on_conflict
def attachment_list_stale(*, statuses: Iterable[str], older_than_s: float, backend_host: str,
                          limit: int = 100) -> list[Attachment]:
    """Live attachments of ``backend_host``'s volumes sitting in one of ``statuses`` for ``older_than_s``."""
    query = (sa.select(_attachments).join(_volumes, _volumes.c.id == _attachments.c.volume_id)
             .where(_attachments.c.deleted == sa.false(), _attachments.c.status.in_(sorted(statuses)),
                    sa.func.coalesce(_attachments.c.updated_at, _attachments.c.created_at)
                    < utcnow() - timedelta(seconds=older_than_s),
                    _volumes.c.host.startswith(f"{backend_host}#", autoescape=True))
             .order_by(_attachments.c.created_at).limit(limit))
    with reader() as conn:
        return from_rows(Attachment, conn.execute(query))


@retry_on_conflict
def attachment_list_unfinished(*, statuses: Iterable[str], older_than_s: float, backend_host: str | None = None,
                               resource_id: str | None = None, limit: int = 1000) -> list[Attachment]:
    """Live attachments in ``statuses`` that hold a connection (connection_info) and have not changed for
    ``older_than_s``: of ``backend_host``'s volumes, and of the attachment or volume ``resource_id`` (if given)."""
    where = [_attachments.c.deleted == sa.false(), _attachments.c.status.in_(sorted(statuses)),
             _attachments.c.connection_info.is_not(None),
             sa.func.coalesce(_attachments.c.updated_at, _attachments.c.created_at)
             < utcnow() - timedelta(seconds=older_than_s)]
    if backend_host is not None:
        where.append(_volumes.c.host.startswith(f"{backend_host}#", autoescape=True))
    if resource_id is not None:
        where.append(sa.or_(_attachments.c.id == resource_id, _attachments.c.volume_id == resource_id))
    query = (sa.select(_attachments).join(_volumes, _volumes.c.id == _attachments.c.volume_id).where(*where)
             .order_by(_attachments.c.created_at, _attachments.c.id).limit(limit))
    with reader() as conn:
        return [a for a in from_rows(Attachment, conn.execute(query)) if a.connection_info]


@retry_on_conflict
def volume_settle(volume_id: str, rule: SettleRule) -> None:
    """Recompute the volume's status from its attachments (recovery of a volume left attaching/detaching)."""
    with writer() as conn:
        if cas_update(conn, _volumes, volume_id, sources=None, values={}):
            settle(conn, volume_id, rule)

