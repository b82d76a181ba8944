"""Group types with their group specs, and generic volume groups with the volumes they hold.

A volume joins or leaves a group by one compare-and-swap on the volume (its version, its status, its
``group_id``) in the same transaction as the group's own swap, so a racing delete, snapshot or other
group change loses cleanly. A group's backend (``host``) is set once, by the first volume placed in it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from db import errors, models
from db.api import quotas
from db.api._common import cas_update, get_one, list_query, new_id, project_scope, utcnow
from db.models import table_of
from db.records import Group, GroupType, Volume, from_row, from_rows
from db.session import reader, retry_on_conflict, writer

_types = table_of(models.GroupType)
_specs = table_of(models.GroupTypeSpec)
_groups = table_of(models.Group)
_group_vtypes = table_of(models.GroupVolumeType)
_volumes = table_of(models.Volume)

Edge = tuple[frozenset[str], str]
DEFAULT_CGSNAPSHOT_TYPE = "default_cgsnapshot_type"
TYPE_SORT_KEYS = frozenset({"id", "name", "description", "created_at", "updated_at", "is_public"})
GROUP_SORT_KEYS = frozenset({"id", "name", "status", "created_at", "updated_at", "availability_zone",
                             "group_type_id", "project_id"})
GROUP_FILTER_KEYS = frozenset({"name", "status", "availability_zone", "group_type_id", "project_id"})


# -- group types -------------------------------------------------------------------------------------

def _load_types(conn: Connection, rows: Sequence[Any]) -> list[GroupType]:
    if not rows:
        return []
    specs: dict[str, dict[str, str]] = {r.id: {} for r in rows}
    for spec in conn.execute(sa.select(_specs).where(_specs.c.group_type_id.in_(list(specs)))):
        specs[spec.group_type_id][spec.key] = spec.value
    return [GroupType(id=r.id, name=r.name, description=r.description, is_public=r.is_public,
                      group_specs=specs[r.id], created_at=r.created_at, updated_at=r.updated_at) for r in rows]


def _type_row(conn: Connection, ref: str, *, by_name: bool = False) -> Any:
    match = sa.or_(_types.c.id == ref, _types.c.name == ref) if by_name else _types.c.id == ref
    row = conn.execute(sa.select(_types).where(match, _types.c.deleted == sa.false())).first()
    if row is None:
        raise errors.NotFound("Group type", ref)
    return row


def _type_name_taken(conn: Connection, name: str, except_id: str | None = None) -> bool:
    where = [_types.c.name == name, _types.c.deleted == sa.false()]
    if except_id:
        where.append(_types.c.id != except_id)
    return conn.execute(sa.select(_types.c.id).where(*where)).first() is not None


@retry_on_conflict
def group_type_create(*, name: str, description: str | None, is_public: bool,
                      group_specs: Mapping[str, str]) -> GroupType:
    """Duplicate when a live group type has the name."""
    with writer() as conn:
        if _type_name_taken(conn, name):
            raise errors.Duplicate(f"Group Type {name} already exists.")
        type_id = new_id()
        conn.execute(sa.insert(_types).values(id=type_id, name=name, description=description, is_public=is_public,
                                              created_at=utcnow(), deleted=False))
        for key, value in group_specs.items():
            conn.execute(sa.insert(_specs).values(group_type_id=type_id, key=key, value=value))
        return _load_types(conn, [_type_row(conn, type_id)])[0]


@retry_on_conflict
def group_type_get(ref: str, *, by_name: bool = False) -> GroupType:
    """By id (or, with ``by_name``, by id or name)."""
    with reader() as conn:
        return _load_types(conn, [_type_row(conn, ref, by_name=by_name)])[0]


@retry_on_conflict
def group_type_list(*, is_public: bool | None, sort: Sequence[tuple[str, str]] = (("name", "asc"),),
                    limit: int | None = None, marker: str | None = None,
                    offset: int | None = None) -> list[GroupType]:
    """``is_public``: only public (True) or only private (False) types; None: all."""
    where = [_types.c.deleted == sa.false()]
    if is_public is not None:
        where.append(_types.c.is_public == is_public)
    with reader() as conn:
        rows = list_query(conn, _types, resource="group type", where=where, sort=sort, limit=limit, marker=marker,
                          offset=offset, marker_scope=[_types.c.deleted == sa.false()])
        return _load_types(conn, rows)


@retry_on_conflict
def group_type_update(type_id: str, **values: Any) -> GroupType:
    with writer() as conn:
        if "name" in values and _type_name_taken(conn, values["name"], except_id=type_id):
            raise errors.Duplicate(f"Group Type {values['name']} already exists.")
        changed = conn.execute(sa.update(_types).where(_types.c.id == type_id, _types.c.deleted == sa.false())
                               .values(updated_at=utcnow(), **values)).rowcount
        if not changed:
            raise errors.NotFound("Group type", type_id)
        return _load_types(conn, [_type_row(conn, type_id)])[0]


@retry_on_conflict
def group_type_delete(type_id: str) -> None:
    """Conflict while a live group has the type."""
    with writer() as conn:
        in_use = conn.execute(sa.select(_groups.c.id).where(_groups.c.group_type_id == type_id,
                                                            _groups.c.deleted == sa.false()).limit(1)).first()
        if in_use is not None:
            raise errors.Conflict(f"Group type {type_id} is still in use by group {in_use.id}.")
        changed = conn.execute(sa.update(_types).where(_types.c.id == type_id, _types.c.deleted == sa.false())
                               .values(deleted=True, deleted_at=utcnow())).rowcount
        if not changed:
            raise errors.NotFound("Group type", type_id)


@retry_on_conflict
def group_specs_set(type_id: str, specs: Mapping[str, str]) -> dict[str, str]:
    with writer() as conn:
        _type_row(conn, type_id)
        for key, value in specs.items():
            conn.execute(sa.delete(_specs).where(_specs.c.group_type_id == type_id, _specs.c.key == key))
            conn.execute(sa.insert(_specs).values(group_type_id=type_id, key=key, value=value))
        return {r.key: r.value for r in conn.execute(sa.select(_specs).where(_specs.c.group_type_id == type_id))}


@retry_on_conflict
def group_spec_delete(type_id: str, key: str) -> None:
    with writer() as conn:
        _type_row(conn, type_id)
        if not conn.execute(sa.delete(_specs).where(_specs.c.group_type_id == type_id, _specs.c.key == key)).rowcount:
            raise errors.NotFound("Group type spec", key)


# -- groups --------------------------------------------------------------------------------------------

def _load_groups(conn: Connection, rows: Sequence[Any]) -> list[Group]:
    if not rows:
        return []
    vtypes: dict[str, list[str]] = {r.id: [] for r in rows}
    for row in conn.execute(sa.select(_group_vtypes).where(_group_vtypes.c.group_id.in_(list(vtypes)))
                            .order_by(_group_vtypes.c.volume_type_id)):
        vtypes[row.group_id].append(row.volume_type_id)
    return [replace(from_row(Group, r), volume_type_ids=tuple(vtypes[r.id])) for r in rows]


@retry_on_conflict
def group_create(*, project_id: str, user_id: str, name: str | None, description: str | None,
                 availability_zone: str, group_type_id: str, volume_type_ids: Sequence[str], status: str,
                 quota_defaults: quotas.Defaults | None, group_snapshot_id: str | None = None,
                 source_group_id: str | None = None, host: str | None = None) -> Group:
    """Reserve the project's ``groups`` quota (413 when full) and insert the group."""
    with writer() as conn:
        _type_row(conn, group_type_id)
        quotas.reserve(conn, project_id, {"groups": 1}, quota_defaults)
        group_id = new_id()
        conn.execute(sa.insert(_groups).values(
            id=group_id, project_id=project_id, user_id=user_id, name=name, description=description, status=status,
            version=1, availability_zone=availability_zone, group_type_id=group_type_id, host=host,
            group_snapshot_id=group_snapshot_id, source_group_id=source_group_id, created_at=utcnow(),
            deleted=False))
        for type_id in dict.fromkeys(volume_type_ids):
            conn.execute(sa.insert(_group_vtypes).values(group_id=group_id, volume_type_id=type_id))
        return _load_groups(conn, [get_one(conn, _groups, group_id, resource="Group")])[0]


@retry_on_conflict
def group_get(group_id: str, *, project_id: str | None = None) -> Group:
    with reader() as conn:
        return _load_groups(conn, [get_one(conn, _groups, group_id, resource="Group", project_id=project_id)])[0]


@retry_on_conflict
def group_list(*, project_id: str | None, filters: Mapping[str, Any] | None = None,
               sort: Sequence[tuple[str, str]] = (("created_at", "desc"),), limit: int | None = None,
               marker: str | None = None, offset: int | None = None) -> list[Group]:
    where: list[Any] = [_groups.c.deleted == sa.false()]
    if project_id is not None:
        where.append(_groups.c.project_id == project_id)
    where += [_groups.c[key] == value for key, value in (filters or {}).items() if key in GROUP_FILTER_KEYS]
    with reader() as conn:
        rows = list_query(conn, _groups, resource="group", where=where, sort=sort, limit=limit, marker=marker,
                          offset=offset, marker_scope=[_groups.c.deleted == sa.false(),
                                                       *project_scope(_groups, project_id)])
        return _load_groups(conn, rows)


@retry_on_conflict
def group_volumes(group_ids: Iterable[str]) -> dict[str, list[Volume]]:
    """The live volumes of each group, oldest first."""
    ids = sorted(set(group_ids))
    found: dict[str, list[Volume]] = {group_id: [] for group_id in ids}
    if not ids:
        return found
    with reader() as conn:
        rows = conn.execute(sa.select(_volumes).where(_volumes.c.group_id.in_(ids), _volumes.c.deleted == sa.false())
                            .order_by(_volumes.c.created_at, _volumes.c.id))
        for volume in from_rows(Volume, rows):
            found[volume.group_id or ""].append(volume)
    return found


@retry_on_conflict
def group_update(group_id: str, *, edge: Edge, expected_version: int, values: Mapping[str, Any],
                 add: Sequence[tuple[str, int]] = (), remove: Sequence[tuple[str, int]] = (),
                 add_sources: frozenset[str] = frozenset(), remove_sources: frozenset[str] = frozenset(),
                 backend_host: str | None = None) -> Group:
    """Change the group and move volumes in (``add``) and out (``remove``), each (id, version read), in one
    transaction. ``backend_host``: the backend the added volumes are on, which becomes the group's unless
    it has one. Conflict, and nothing changes, when the group or any volume changed since it was read."""
    sources, target = edge
    with writer() as conn:
        group_values = {**values, "status": target}
        if backend_host is not None:
            group_values["host"] = sa.func.coalesce(_groups.c.host, backend_host)
        host_guard = [] if backend_host is None else [sa.or_(_groups.c.host.is_(None), _groups.c.host == backend_host)]
        if not cas_update(conn, _groups, group_id, sources=sources, expected_version=expected_version,
                          extra_where=host_guard, values=group_values):
            raise errors.Conflict(f"Group {group_id} changed while it was being updated; it must be in status "
                                  f"{sorted(sources)}.")
        for volume_id, version in add:
            if not cas_update(conn, _volumes, volume_id, sources=add_sources, expected_version=version,
                              extra_where=[_volumes.c.group_id.is_(None)], values={"group_id": group_id}):
                raise errors.Conflict(f"Volume {volume_id} changed while it was being added to group {group_id}.")
        for volume_id, version in remove:
            if not cas_update(conn, _volumes, volume_id, sources=remove_sources, expected_version=version,
                              extra_where=[_volumes.c.group_id == group_id], values={"group_id": None}):
                raise errors.Conflict(f"Volume {volume_id} changed while it was being removed from group "
                                      f"{group_id}.")
        return _load_groups(conn, [get_one(conn, _groups, group_id, resource="Group")])[0]


@retry_on_conflict
def group_place(group_id: str, backend_host: str) -> str | None:
    """Set the group's backend unless it has one; the group's backend after (None: the group is gone)."""
    with writer() as conn:
        conn.execute(sa.update(_groups).where(_groups.c.id == group_id, _groups.c.host.is_(None),
                                              _groups.c.deleted == sa.false()).values(host=backend_host))
        row = conn.execute(sa.select(_groups.c.host).where(_groups.c.id == group_id,
                                                           _groups.c.deleted == sa.false())).first()
        return None if row is None else str(row.host)


@retry_on_conflict
def group_destroy(group_id: str, *, edge: Edge, expected_version: int, deleted_status: str,
                  settled_volume_statuses: frozenset[str]) -> None:
    """Soft-delete the group and give back its quota. Conflict while it holds a live volume whose status
    is not in ``settled_volume_statuses`` (those being deleted), or when the group changed since read."""
    sources, _ = edge
    with writer() as conn:
        left = conn.execute(sa.select(_volumes.c.id).where(
            _volumes.c.group_id == group_id, _volumes.c.deleted == sa.false(),
            _volumes.c.status.not_in(sorted(settled_volume_statuses))).limit(1)).first()
        if left is not None:
            raise errors.Conflict(f"Group {group_id} still contains volumes. The delete-volumes flag is required "
                                  "to delete it.")
        row = get_one(conn, _groups, group_id, resource="Group")
        if not cas_update(conn, _groups, group_id, sources=sources, expected_version=expected_version,
                          values={"status": deleted_status, "deleted": True, "deleted_at": utcnow()}):
            raise errors.Conflict(f"Group {group_id} changed while it was being deleted; it must be in status "
                                  f"{sorted(sources)}.")
        quotas.release(conn, row.project_id, {"groups": 1})


@retry_on_conflict
def group_reset(group_id: str, *, status: str) -> None:
    with writer() as conn:
        if not cas_update(conn, _groups, group_id, sources=None, values={"status": status}):
            raise errors.NotFound("Group", group_id)
