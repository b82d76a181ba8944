"""Volume types and their extra specs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from db import errors, models
from db.api import quotas
from db.api._common import list_query, live_row, new_id, utcnow
from db.models import table_of
from db.records import DefaultVolumeType, VolumeType, from_row, from_rows
from db.session import reader, retry_on_conflict, writer

_types = table_of(models.VolumeType)
_specs = table_of(models.VolumeTypeExtraSpec)
_access = table_of(models.VolumeTypeProject)
_volumes = table_of(models.Volume)
_default_types = table_of(models.DefaultVolumeType)
_encryption = table_of(models.VolumeTypeEncryption)

DEFAULT_TYPE_NAME = "__DEFAULT__"


_SPECS_OF = sa.select(_specs).where(_specs.c.volume_type_id.in_(sa.bindparam("_types", expanding=True)))


def _load(conn: Connection, rows: list[Any]) -> list[VolumeType]:
    if not rows:
        return []
    specs: dict[str, dict[str, str]] = {r.id: {} for r in rows}
    for spec in conn.execute(_SPECS_OF, {"_types": list(specs)}):
        specs[spec.volume_type_id][spec.key] = spec.value
    return [VolumeType(id=r.id, name=r.name, description=r.description, is_public=r.is_public,
                       created_at=r.created_at, updated_at=r.updated_at, extra_specs=specs[r.id],
                       qos_specs_id=r.qos_specs_id) for r in rows]


def _name_taken(conn: Connection, name: str, except_id: str | None = None) -> bool:
    where = [_types.c.name == name, _types.c.deleted == sa.false()]
    if except_id:
        where.append(_types.c.id != except_id)
    return conn.execute(sa.select(_types.c.id).where(*where)).first() is not None


@retry_on_conflict
def type_create(*, name: str, description: str | None = None, is_public: bool = True,
                extra_specs: Mapping[str, str] | None = None, type_id: str | None = None) -> VolumeType:
    with writer() as conn:
        if _name_taken(conn, name):
            raise errors.Duplicate(f"Volume type with name {name} already exists.")
        type_id = type_id or new_id()
        conn.execute(sa.insert(_types).values(id=type_id, name=name, description=description,
                                              is_public=is_public, created_at=utcnow(), deleted=False))
        for key, value in (extra_specs or {}).items():
            conn.execute(sa.insert(_specs).values(volume_type_id=type_id, key=key, value=value))
        return _load(conn, [conn.execute(sa.select(_types).where(_types.c.id == type_id)).one()])[0]


@retry_on_conflict
def type_get(type_id: str) -> VolumeType:
    with reader() as conn:
        row = conn.execute(live_row(_types), {"_id": type_id}).first()
        if row is None:
            raise errors.NotFound("Volume type", type_id)
        return _load(conn, [row])[0]


@retry_on_conflict
def type_get_by_name_or_id(ref: str) -> VolumeType:
    with reader() as conn:
        row = conn.execute(sa.select(_types).where(sa.or_(_types.c.id == ref, _types.c.name == ref),
                                                   _types.c.deleted == sa.false())).first()
        if row is None:
            raise errors.NotFound("Volume type", ref)
        return _load(conn, [row])[0]


SORT_KEYS = frozenset({"id", "name", "description", "created_at", "updated_at", "is_public"})


@retry_on_conflict
def type_list(*, include_private: bool = True, is_public: bool | None = None,
              sort: Sequence[tuple[str, str]] = (("name", "asc"),), limit: int | None = None,
              marker: str | None = None, offset: int | None = None,
              shared_with: str | None = None) -> list[VolumeType]:
    """Types in ``sort`` order; private ones only with ``include_private`` (admins) or, with ``shared_with``,
    those shared with that project."""
    visible = [] if include_private else [sa.or_(
        _types.c.is_public == sa.true(),
        _types.c.id.in_(sa.select(_access.c.volume_type_id).where(_access.c.project_id == shared_with))
        if shared_with is not None else sa.false())]
    where = [_types.c.deleted == sa.false(), *visible]
    if is_public is not None:
        where.append(_types.c.is_public == is_public)
    with reader() as conn:
        rows = list_query(conn, _types, resource="volume type", where=where, sort=sort, limit=limit,
                          marker=marker, offset=offset, marker_scope=[_types.c.deleted == sa.false(), *visible])
        return _load(conn, rows)


@retry_on_conflict
def type_update(type_id: str, **values: Any) -> VolumeType:
    with writer() as conn:
        if "name" in values and _name_taken(conn, values["name"], except_id=type_id):
            raise errors.Duplicate(f"Volume type with name {values['name']} already exists.")
        changed = conn.execute(sa.update(_types).where(_types.c.id == type_id, _types.c.deleted == sa.false())
                               .values(updated_at=utcnow(), **values)).rowcount
        if not changed:
            raise errors.NotFound("Volume type", type_id)
        return _load(conn, [conn.execute(sa.select(_types).where(_types.c.id == type_id)).one()])[0]


@retry_on_conflict
def type_delete(type_id: str) -> None:
    """Raises Conflict while a volume still uses the type."""
    with writer() as conn:
        in_use = conn.execute(sa.select(_volumes.c.id).where(_volumes.c.volume_type_id == type_id,
                                                             _volumes.c.deleted == sa.false()).limit(1)).first()
        if in_use is not None:
            raise errors.Conflict(f"Volume type {type_id} is still in use by volume {in_use.id}.")
        default_of = conn.execute(sa.select(_default_types.c.project_id)
                                  .where(_default_types.c.volume_type_id == type_id).limit(1)).scalar()
        if default_of is not None:
            raise errors.Conflict(f"Volume type {type_id} is the default volume type of project {default_of}; "
                                  f"unset it first.")
        changed = conn.execute(sa.update(_types).where(_types.c.id == type_id, _types.c.deleted == sa.false())
                               .values(deleted=True, deleted_at=utcnow())).rowcount
        if not changed:
            raise errors.NotFound("Volume type", type_id)
        quotas.forget_type(conn, type_id)
        conn.execute(sa.delete(_encryption).where(_encryption.c.volume_type_id == type_id))


@retry_on_conflict
def extra_specs_set(type_id: str, specs: Mapping[str, str]) -> dict[str, str]:
    with writer() as conn:
        if conn.execute(sa.select(_types.c.id).where(_types.c.id == type_id,
                                                     _types.c.deleted == sa.false())).first() is None:
            raise errors.NotFound("Volume type", type_id)
        for key, value in specs.items():
            conn.execute(sa.delete(_specs).where(_specs.c.volume_type_id == type_id, _specs.c.key == key))
            conn.execute(sa.insert(_specs).values(volume_type_id=type_id, key=key, value=value))
        return {r.key: r.value for r in conn.execute(sa.select(_specs).where(_specs.c.volume_type_id == type_id))}


@retry_on_conflict
def extra_spec_delete(type_id: str, key: str) -> None:
    with writer() as conn:
        changed = conn.execute(sa.delete(_specs).where(_specs.c.volume_type_id == type_id,
                                                       _specs.c.key == key)).rowcount
        if not changed:
            raise errors.NotFound("Volume type extra spec", key)


@retry_on_conflict
def type_access_list(type_id: str) -> list[str]:
    """The projects the type is shared with, sorted."""
    with reader() as conn:
        return sorted(r.project_id for r in conn.execute(
            sa.select(_access.c.project_id).where(_access.c.volume_type_id == type_id)))


@retry_on_conflict
def type_access_add(type_id: str, project_id: str) -> None:
    """Share the type with the project; Duplicate if it already is."""
    with writer() as conn:
        if conn.execute(sa.select(_access.c.project_id).where(_access.c.volume_type_id == type_id,
                                                              _access.c.project_id == project_id)).first():
            raise errors.Duplicate(f"Volume type access for project {project_id} on type {type_id} already exists.")
        conn.execute(sa.insert(_access).values(volume_type_id=type_id, project_id=project_id))


@retry_on_conflict
def type_access_remove(type_id: str, project_id: str) -> None:
    """Stop sharing the type with the project; NotFound if it was not."""
    with writer() as conn:
        removed = conn.execute(sa.delete(_access).where(_access.c.volume_type_id == type_id,
                                                        _access.c.project_id == project_id)).rowcount
        if removed != 1:
            raise errors.NotFound("Volume type access", f"{type_id} for project {project_id}")


@retry_on_conflict
def default_type_set(project_id: str, volume_type_id: str) -> DefaultVolumeType:
    """Make a live type the project's default (replacing any); raises NotFound if the type is gone."""
    with writer() as conn:
        live = conn.execute(sa.select(_types.c.id).where(_types.c.id == volume_type_id,
                                                         _types.c.deleted == sa.false())).first()
        if live is None:
            raise errors.NotFound("Volume type", volume_type_id)
        conn.execute(sa.delete(_default_types).where(_default_types.c.project_id == project_id))
        conn.execute(sa.insert(_default_types).values(project_id=project_id, volume_type_id=volume_type_id,
                                                      created_at=utcnow()))
        return from_row(DefaultVolumeType, conn.execute(
            sa.select(_default_types).where(_default_types.c.project_id == project_id)).one())


@retry_on_conflict
def default_type_get(project_id: str) -> DefaultVolumeType | None:
    with reader() as conn:
        row = conn.execute(sa.select(_default_types).where(_default_types.c.project_id == project_id)).first()
        return None if row is None else from_row(DefaultVolumeType, row)


@retry_on_conflict
def default_type_list() -> list[DefaultVolumeType]:
    with reader() as conn:
        return from_rows(DefaultVolumeType, conn.execute(
            sa.select(_default_types).order_by(_default_types.c.project_id)))


@retry_on_conflict
def default_type_unset(project_id: str) -> bool:
    """False when the project had no default type."""
    with writer() as conn:
        return bool(conn.execute(sa.delete(_default_types)
                                 .where(_default_types.c.project_id == project_id)).rowcount)
