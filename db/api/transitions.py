"""One compare-and-swap transition for every resource kind, and what may ride in its transaction.

``transition(kind, id, edge, guard=..., effects=...)`` moves a row along a (sources, target)
edge. The ``Guard`` says when it may (version, project, the landing service's claim, a dead
holder's claim taken away, the row's volume's status); the ``Effects`` say what else changes
in the same transaction (values, settling the volume from its attachments, quota and pool
claims, giving back what a pending extend reserved, a soft delete that gives back the row's
charges). What differs between kinds is data in ``_KINDS``. Called by the volume service's
operation runner and by the named helpers of ``db/api/volumes.py`` and its neighbours.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from db import errors, models
from db.api import pools, quotas
from db.api._common import any_row, cas_update, live_row, utcnow
from db.api.settle import SettleRule, settle
from db.api.work import HolderCheck, end_claim, revoke_dead_claim
from db.models import table_of
from db.records import Attachment, Backup, GroupSnapshot, Snapshot, Volume, WorkClaim, from_row, from_rows
from db.session import retry_on_conflict, writer

Edge = tuple[frozenset[str], str]

_volumes = table_of(models.Volume)
_snapshots = table_of(models.Snapshot)


@dataclass(frozen=True)
class Guard:
    """When the transition may happen; any guard that fails leaves everything untouched (None)."""

    expected_version: int | None = None
    project_id: str | None = None
    claim: WorkClaim | None = None  # the landing service's: ended (ClaimLost if it was taken away)
    revoke: HolderCheck | None = None  # an admin's: a dead holder's claim is taken away first (Busy if alive)
    volume_sources: frozenset[str] | None = None  # the row's volume must be in one of these (attachments)


@dataclass(frozen=True)
class Effects:
    """What changes with the status, in the same transaction."""

    values: Mapping[str, Any] = field(default_factory=dict)
    settle: SettleRule | None = None  # then the volume's status is what its attachments give it
    release_pending: bool = False  # give back what a pending extend reserved, forget its target size
    quota: Mapping[str, int] | None = None  # reserved (QuotaExceeded rolls everything back)
    quota_defaults: quotas.Defaults | None = None
    pool_claim_gb: float = 0  # claimed on the volume's pool (a full pool: Conflict, rolled back)
    destroy: bool = False  # soft-delete the row and give back what it holds
    # a volume whose host the values change (a migration's swap) takes what it holds from the old pool to
    # the new one; the api checked the new pool's room when the migration began
    moves_pool: bool = False
    # the row's volume (the kind's ``settles``) moves along the first of these edges it is in a source of
    # (a backup's landing gives its volume back); then ``settle`` applies
    volume_edges: tuple[Edge, ...] = ()
    # a group snapshot's member snapshots move along the first of these (sources, target, destroy) edges
    # they are in a source of; with destroy they are soft-deleted, giving back their quota
    members: tuple[tuple[frozenset[str], str, bool], ...] = ()
    # columns of the row's volume set with it (kinds that bump their volume first: attachments)
    volume_values: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class _Kind:
    table: sa.Table
    record: type[Any]
    resource: str  # as NotFound names it
    settles: Callable[[str, Any], str | None] | None  # (row id, row) -> the volume whose status follows
    after_volume: bool  # bump the row's volume's version first: every writer of a volume's rows keeps that order
    gives_back: Callable[[Any], tuple[dict[str, int], str | None, int]] | None  # quota, pool, GB of a destroy
    destroyed: tuple[str, ...] = ("deleted_at",)  # the time columns a soft delete sets
    # (conn, row) -> the volume type whose own quota keys (volumes_<type>, ...) its quota changes also move
    type_of: Callable[[Connection, Any], str | None] = lambda conn, row: None


def charged_size_gb(volume: Volume) -> int:
    """What the volume holds of its project's quota and its pool: its size, or a pending extend's target."""
    return max(volume.size_gb, volume.target_size_gb or 0)


_KINDS: dict[str, _Kind] = {
    "volume": _Kind(_volumes, Volume, "Volume", settles=lambda row_id, _: row_id, after_volume=False,
                    gives_back=lambda v: ({"volumes": 1, "gigabytes": charged_size_gb(v)}, v.host,
                                          charged_size_gb(v)),
                    type_of=lambda conn, v: v.volume_type_id),
    "snapshot": _Kind(table_of(models.Snapshot), Snapshot, "Snapshot", settles=None, after_volume=False,
                      gives_back=lambda s: ({"snapshots": 1, "gigabytes": s.size_gb}, None, 0),
                      type_of=lambda conn, s: quotas.volume_type_of(conn, s.volume_id)),
    "attachment": _Kind(table_of(models.Attachment), Attachment, "Attachment",
                        settles=lambda _, a: str(a.volume_id), after_volume=True, gives_back=None,
                        destroyed=("deleted_at", "detached_at")),
    "group_snapshot": _Kind(table_of(models.GroupSnapshot), GroupSnapshot, "Group snapshot", settles=None,
                            after_volume=False, gives_back=None),
    "backup": _Kind(table_of(models.Backup), Backup, "Backup", settles=lambda _, b: _backup_volume(b),
                    after_volume=False,
                    gives_back=lambda b: ({"backups": 1, "backup_gigabytes": b.size_gb}, None, 0)),
}


def _backup_volume(backup: Backup | None) -> str | None:
    """The volume a backup's running operation holds: its source while it is created, its target while
    it is restored (the row as it was before the landing)."""
    if backup is None:
        return None
    return backup.restore_volume_id if backup.status == "restoring" else (
        backup.volume_id if backup.status == "creating" else None)


@retry_on_conflict
def transition(kind: str, row_id: str, edge: Edge, *, guard: Guard = Guard(),
               effects: Effects = Effects(), read_back: bool = True) -> Any | None:
    """Move the ``kind`` row along ``edge`` if it is in one of its sources and every guard holds.

    Returns the changed row (soft-deleted by ``destroy``), or None if another request got there
    first or the row is gone; with ``read_back=False`` (a landing that only needs to know it
    landed) True instead of the row, saving its read where the effects need none. Raises
    ClaimLost, Fenced, Busy, QuotaExceeded or Conflict (a full pool) as the guard and effects
    say; nothing is written then.
    """
    spec = _KINDS[kind]
    with writer() as conn:
        return _transition(conn, spec, kind, row_id, edge, guard, effects, read_back)


def _transition(conn: Connection, spec: _Kind, kind: str, row_id: str, edge: Edge, guard: Guard,
                effects: Effects, read_back: bool = True) -> Any | None:
    if guard.revoke is not None:
        revoke_dead_claim(conn, kind, row_id, holder_binary=guard.revoke.binary,
                          alive_within_s=guard.revoke.alive_within_s)
    end_claim(conn, guard.claim)
    sources, target = edge
    expected = guard.expected_version
    values: dict[str, Any] = {"status": target, **effects.values}
    current: Any = None
    if effects.release_pending or effects.destroy or spec.after_volume or effects.volume_edges or effects.moves_pool:
        current = _live(conn, spec, row_id)
        if current is None:
            if effects.release_pending:
                raise errors.NotFound(spec.resource, row_id)
            return None
        if effects.release_pending or (effects.destroy and spec.gives_back is not None):
            # what is given back is computed from this read: the swap must be against exactly it
            if expected is not None and current.version != expected:
                return None
            expected = current.version
    if spec.after_volume and not cas_update(conn, _volumes, current.volume_id, sources=guard.volume_sources,
                                            values=effects.volume_values):
        return None
    if effects.release_pending:
        values["target_size_gb"] = None
    if effects.destroy:
        now = utcnow()
        values.update({"deleted": True, **{column: now for column in spec.destroyed}})
    if not cas_update(conn, spec.table, row_id, sources=sources, expected_version=expected,
                      project_id=guard.project_id, values=values):
        return None
    volume_id = spec.settles(row_id, current) if spec.settles is not None else None
    if volume_id and effects.volume_edges:
        for volume_sources, volume_target in effects.volume_edges:
            if cas_update(conn, _volumes, volume_id, sources=volume_sources, values={"status": volume_target}):
                break
    if effects.settle is not None and volume_id:
        settle(conn, volume_id, effects.settle)
    for member_edge in effects.members:
        move_members(conn, row_id, member_edge)
    if not read_back and not _charges_changed_row(effects):
        _charge(conn, spec, None, current, effects)
        return True
    changed = from_row(spec.record, conn.execute(any_row(spec.table), {"_id": row_id}).one())
    _charge(conn, spec, changed, current, effects)
    return changed


def move_type_usage(conn: Connection, before: Any, volume_type_id: str | None,
                    defaults: quotas.Defaults | None) -> None:
    """Move what the volume (its row ``before``) and its snapshots hold of its old type's own quota keys
    (volumes_<type>, ...) to ``volume_type_id``'s; QuotaExceeded if the new type's limits cannot hold them."""
    if before.volume_type_id == volume_type_id:
        return
    snaps = conn.execute(sa.select(sa.func.count(), sa.func.sum(_snapshots.c.size_gb))
                         .where(_snapshots.c.volume_id == before.id, _snapshots.c.deleted == sa.false())).one()
    held = {"volumes": 1, "snapshots": int(snaps[0]),
            "gigabytes": max(before.size_gb, before.target_size_gb or 0) + int(snaps[1] or 0)}

    def only_typed(type_id: str | None) -> dict[str, int]:
        return {key: n for key, n in quotas.typed(held, type_id).items() if key not in held}

    quotas.reserve(conn, before.project_id, only_typed(volume_type_id), defaults)
    quotas.release(conn, before.project_id, only_typed(before.volume_type_id))


def _live(conn: Connection, spec: _Kind, row_id: str) -> Any | None:
    row = conn.execute(live_row(spec.table), {"_id": row_id}).first()
    return None if row is None else from_row(spec.record, row)


def _charges_changed_row(effects: Effects) -> bool:
    """Whether ``_charge`` reads the changed row (a destroy gives back from the row as it was)."""
    return bool(effects.quota or effects.pool_claim_gb or effects.release_pending or effects.moves_pool)


def _charge(conn: Connection, spec: _Kind, changed: Any, before: Any, effects: Effects) -> None:
    """The quota and pool side of the transition (volumes' columns: project_id, host)."""
    if effects.quota:
        quotas.reserve(conn, changed.project_id, quotas.typed(effects.quota, spec.type_of(conn, changed)),
                       effects.quota_defaults)
    if effects.pool_claim_gb and changed.host and not pools.claim(conn, changed.host, effects.pool_claim_gb):
        raise errors.Conflict(f"Backend pool {changed.host} has no room for {effects.pool_claim_gb} GB more.")
    if effects.release_pending:
        pending_gb = max((before.target_size_gb or 0) - before.size_gb, 0)
        if pending_gb:
            quotas.release(conn, changed.project_id,
                           quotas.typed({"gigabytes": pending_gb}, spec.type_of(conn, changed)))
            pools.release(conn, changed.host, pending_gb)
    if effects.moves_pool and before is not None and before.host != changed.host:
        pools.release(conn, before.host, charged_size_gb(before))
        pools.allocate(conn, changed.host, charged_size_gb(before))
        # a retype by migration takes its new type at the swap, with its type's quota usage
        move_type_usage(conn, before, changed.volume_type_id, effects.quota_defaults)
    if effects.destroy and spec.gives_back is not None:
        quota, pool, size_gb = spec.gives_back(before)
        quotas.release(conn, before.project_id, quotas.typed(quota, spec.type_of(conn, before)))
        pools.release(conn, pool, size_gb)


def move_members(conn: Connection, group_snapshot_id: str, edge: tuple[frozenset[str], str, bool]) -> int:
    """Move the group snapshot's live member snapshots in ``edge``'s sources to its target, soft-deleted
    with ``destroy`` (giving back their quota); how many moved."""
    sources, target, destroy = edge
    where = [_snapshots.c.group_snapshot_id == group_snapshot_id, _snapshots.c.deleted == sa.false(),
             _snapshots.c.status.in_(sorted(sources))]
    if not destroy:
        return int(conn.execute(sa.update(_snapshots).where(*where).values(
            status=target, version=_snapshots.c.version + 1, updated_at=utcnow())).rowcount)
    members = from_rows(Snapshot, conn.execute(sa.select(_snapshots).where(*where)))
    now = utcnow()
    for member in members:
        conn.execute(sa.update(_snapshots).where(_snapshots.c.id == member.id).values(
            status=target, deleted=True, deleted_at=now, updated_at=now, version=_snapshots.c.version + 1))
        quotas.release(conn, member.project_id, {"snapshots": 1, "gigabytes": member.size_gb})
    return len(members)
