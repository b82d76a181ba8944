"""Volume transfer rows: offer a volume (moving it to awaiting-transfer), withdraw, and accept.

Accepting moves the volume (and, unless excluded, its snapshots) to the new project and their
quota with them, in one transaction: the giver's usage goes down exactly when the taker's goes up.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from db import errors, models
from db.api import quotas
from db.api._common import cas_update, get_one, list_query, new_id, utcnow
from db.models import table_of
from db.records import Transfer, Volume, from_row, from_rows
from db.session import reader, retry_on_conflict, writer

_transfers = table_of(models.Transfer)
_volumes = table_of(models.Volume)
_snapshots = table_of(models.Snapshot)

Edge = tuple[frozenset[str], str]

SORT_KEYS = frozenset({"id", "name", "created_at", "volume_id"})


@retry_on_conflict
def transfer_create(*, volume_id: str, volume_version: int, project_id: str, edge: Edge, name: str | None,
                    salt: str, key_hash: str, no_snapshots: bool) -> Transfer:
    """Move the volume (still at ``volume_version``, in ``project_id``) along ``edge`` and insert the
    transfer; Conflict, with nothing written, if the volume changed since it was read."""
    transfer_id = new_id()
    with writer() as conn:
        sources, target = edge
        if not cas_update(conn, _volumes, volume_id, sources=sources, expected_version=volume_version,
                          project_id=project_id, values={"status": target}):
            raise errors.Conflict(f"Volume {volume_id} changed while its transfer was being requested; it must "
                                  f"be in status {sorted(sources)}.")
        conn.execute(sa.insert(_transfers).values(
            id=transfer_id, volume_id=volume_id, name=name, salt=salt, key_hash=key_hash,
            no_snapshots=no_snapshots, source_project_id=project_id, accepted=False, created_at=utcnow(),
            deleted=False))
        return from_row(Transfer, get_one(conn, _transfers, transfer_id, resource="Transfer"))


def _where(project_id: str | None) -> list[Any]:
    where: list[Any] = [_transfers.c.deleted == sa.false()]
    if project_id is not None:
        where.append(_transfers.c.source_project_id == project_id)
    return where


@retry_on_conflict
def transfer_get(transfer_id: str, *, project_id: str | None = None) -> Transfer:
    """A pending transfer (of ``project_id``'s, when given); NotFound otherwise."""
    with reader() as conn:
        row = conn.execute(sa.select(_transfers).where(_transfers.c.id == transfer_id, *_where(project_id))).first()
    if row is None:
        raise errors.NotFound("Transfer", transfer_id)
    return from_row(Transfer, row)


@retry_on_conflict
def transfer_list(*, project_id: str | None, filters: Mapping[str, Any] | None = None,
                  sort: Sequence[tuple[str, str]] = (("created_at", "desc"),), limit: int | None = None,
                  marker: str | None = None, offset: int | None = None) -> list[Transfer]:
    where = _where(project_id)
    for key in ("name", "volume_id"):
        if filters and key in filters:
            where.append(_transfers.c[key] == filters[key])
    scope = [] if project_id is None else [_transfers.c.source_project_id == project_id]
    with reader() as conn:
        rows = list_query(conn, _transfers, resource="transfer", where=where, sort=sort, limit=limit,
                          marker=marker, offset=offset, marker_scope=scope)
    return from_rows(Transfer, rows)


@retry_on_conflict
def transfer_delete(transfer_id: str, *, project_id: str | None, volume_edge: Edge) -> Transfer:
    """Withdraw a pending transfer and move its volume back along ``volume_edge``; NotFound if it is gone."""
    with writer() as conn:
        transfer = _take(conn, transfer_id, project_id, values={})
        cas_update(conn, _volumes, transfer.volume_id, sources=volume_edge[0], values={"status": volume_edge[1]})
        return transfer


def _take(conn: Any, transfer_id: str, project_id: str | None, *, values: Mapping[str, Any]) -> Transfer:
    row = conn.execute(sa.select(_transfers).where(_transfers.c.id == transfer_id, *_where(project_id))).first()
    if row is None:
        raise errors.NotFound("Transfer", transfer_id)
    done = conn.execute(sa.update(_transfers).where(_transfers.c.id == transfer_id,
                                                    _transfers.c.deleted == sa.false())
                        .values(deleted=True, deleted_at=utcnow(), updated_at=utcnow(), **values)).rowcount
    if done != 1:  # a concurrent accept or delete got there first
        raise errors.NotFound("Transfer", transfer_id)
    return from_row(Transfer, row)


@retry_on_conflict
def transfer_accept(transfer_id: str, *, project_id: str, user_id: str, volume_edge: Edge,
                    quota_defaults: quotas.Defaults | None = None) -> tuple[Transfer, Volume]:
    """Give the transfer's volume (and snapshots unless ``no_snapshots``) to ``project_id``.

    The caller has checked the key. Raises NotFound if the transfer is gone (accepted or withdrawn
    meanwhile: of two racing accepts one wins), QuotaExceeded if the taker's quota cannot hold it,
    Conflict if the volume is no longer awaiting it; nothing is written then.
    """
    with writer() as conn:
        transfer = _take(conn, transfer_id, None, values={"accepted": True, "destination_project_id": project_id})
        volume = from_row(Volume, get_one(conn, _volumes, transfer.volume_id, resource="Volume"))
        giver = volume.project_id
        snapshots = [] if transfer.no_snapshots else list(conn.execute(
            sa.select(_snapshots.c.id, _snapshots.c.size_gb).where(_snapshots.c.volume_id == volume.id,
                                                                   _snapshots.c.deleted == sa.false())))
        moved = {"volumes": 1, "gigabytes": volume.size_gb + sum(int(s.size_gb) for s in snapshots),
                 "snapshots": len(snapshots)}
        if not cas_update(conn, _volumes, volume.id, sources=volume_edge[0], project_id=giver,
                          values={"status": volume_edge[1], "project_id": project_id, "user_id": user_id}):
            raise errors.Conflict(f"Volume {volume.id} is no longer awaiting its transfer.")
        if snapshots:
            conn.execute(sa.update(_snapshots).where(_snapshots.c.id.in_([s.id for s in snapshots]))
                         .values(project_id=project_id, user_id=user_id, version=_snapshots.c.version + 1,
                                 updated_at=utcnow()))
        moved = quotas.typed(moved, volume.volume_type_id)
        quotas.reserve(conn, project_id, moved, quota_defaults)
        quotas.release(conn, giver, moved)
        return transfer, from_row(Volume, get_one(conn, _volumes, volume.id, resource="Volume"))
