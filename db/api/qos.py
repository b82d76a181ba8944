"""QoS specs, their association with volume types, and volume type encryption specs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from db import errors, models
from db.api._common import list_query, new_id, utcnow
from db.models import table_of
from db.records import QosSpecs, TypeEncryption
from db.session import reader, retry_on_conflict, writer

_qos = table_of(models.QosSpecs)
_keys = table_of(models.QosSpecKey)
_types = table_of(models.VolumeType)
_encryption = table_of(models.VolumeTypeEncryption)
_volumes = table_of(models.Volume)

SORT_KEYS = frozenset({"id", "name", "consumer", "created_at", "updated_at"})
_LIVE = _qos.c.deleted == sa.false()


class QosSpecsInUse(errors.Conflict):
    """The specs are still associated with a volume type (Cinder's QoSSpecsInUse)."""


def _load(conn: Connection, rows: Sequence[Any]) -> list[QosSpecs]:
    if not rows:
        return []
    specs: dict[str, dict[str, str]] = {r.id: {} for r in rows}
    for key in conn.execute(sa.select(_keys).where(_keys.c.qos_specs_id.in_(list(specs)))):
        specs[key.qos_specs_id][key.key] = key.value
    return [QosSpecs(id=r.id, name=r.name, consumer=r.consumer, created_at=r.created_at, updated_at=r.updated_at,
                     specs=specs[r.id]) for r in rows]


def _one(conn: Connection, qos_id: str) -> Any:
    row = conn.execute(sa.select(_qos).where(_qos.c.id == qos_id, _LIVE)).first()
    if row is None:
        raise errors.NotFound("QoS spec", qos_id)
    return row


def _put_keys(conn: Connection, qos_id: str, specs: Mapping[str, str]) -> None:
    for key, value in specs.items():
        conn.execute(sa.delete(_keys).where(_keys.c.qos_specs_id == qos_id, _keys.c.key == key))
        conn.execute(sa.insert(_keys).values(qos_specs_id=qos_id, key=key, value=value))


@retry_on_conflict
def qos_create(*, name: str, consumer: str, specs: Mapping[str, str]) -> QosSpecs:
    """Duplicate if live specs of that name exist (Cinder's QoSSpecsExists, 409)."""
    with writer() as conn:
        if conn.execute(sa.select(_qos.c.id).where(_qos.c.name == name, _LIVE)).first() is not None:
            raise errors.Duplicate(f"QoS Specs {name} already exists.")
        qos_id = new_id()
        conn.execute(sa.insert(_qos).values(id=qos_id, name=name, consumer=consumer, created_at=utcnow(),
                                            deleted=False))
        _put_keys(conn, qos_id, specs)
        return _load(conn, [_one(conn, qos_id)])[0]


@retry_on_conflict
def qos_get(qos_id: str) -> QosSpecs:
    with reader() as conn:
        return _load(conn, [_one(conn, qos_id)])[0]


@retry_on_conflict
def qos_list(*, sort: Sequence[tuple[str, str]] = (("created_at", "desc"),), limit: int | None = None,
             marker: str | None = None, offset: int | None = None,
             filters: Mapping[str, str] | None = None) -> list[QosSpecs]:
    where = [_LIVE, *(_qos.c[key] == value for key, value in (filters or {}).items())]
    with reader() as conn:
        rows = list_query(conn, _qos, resource="qos specs", where=where, sort=sort, limit=limit, marker=marker,
                          offset=offset, marker_scope=[_LIVE])
        return _load(conn, rows)


@retry_on_conflict
def qos_update(qos_id: str, *, consumer: str | None = None, specs: Mapping[str, str]) -> QosSpecs:
    """Set (add or change) keys, and the consumer if given."""
    with writer() as conn:
        _one(conn, qos_id)
        values: dict[str, Any] = {"updated_at": utcnow()}
        if consumer is not None:
            values["consumer"] = consumer
        conn.execute(sa.update(_qos).where(_qos.c.id == qos_id).values(**values))
        _put_keys(conn, qos_id, specs)
        return _load(conn, [_one(conn, qos_id)])[0]


@retry_on_conflict
def qos_delete_keys(qos_id: str, keys: Iterable[str]) -> None:
    """Remove the keys in order; NotFound at the first the specs lack, the ones before it stay removed
    (Cinder's behaviour)."""
    with writer() as conn:
        _one(conn, qos_id)
        conn.execute(sa.update(_qos).where(_qos.c.id == qos_id).values(updated_at=utcnow()))
        for key in keys:
            removed = conn.execute(sa.delete(_keys).where(_keys.c.qos_specs_id == qos_id,
                                                          _keys.c.key == key)).rowcount
            if not removed:
                raise errors.NotFound(f"QoS spec {qos_id} key", key)


def _associated(conn: Connection, qos_id: str) -> list[Any]:
    return list(conn.execute(sa.select(_types.c.id, _types.c.name).where(
        _types.c.qos_specs_id == qos_id, _types.c.deleted == sa.false()).order_by(_types.c.name)))


@retry_on_conflict
def qos_delete(qos_id: str, *, force: bool = False) -> None:
    """QosSpecsInUse while a live type is associated, unless ``force`` (which disassociates them)."""
    with writer() as conn:
        _one(conn, qos_id)
        if _associated(conn, qos_id):
            if not force:
                raise QosSpecsInUse(f"QoS Specs {qos_id} is still associated with entities.")
            conn.execute(sa.update(_types).where(_types.c.qos_specs_id == qos_id).values(qos_specs_id=None))
        conn.execute(sa.update(_qos).where(_qos.c.id == qos_id, _LIVE).values(deleted=True, deleted_at=utcnow()))
        conn.execute(sa.delete(_keys).where(_keys.c.qos_specs_id == qos_id))


@retry_on_conflict
def qos_associations(qos_id: str) -> list[tuple[str, str]]:
    """(type id, type name) of the live types associated with the specs, by name."""
    with reader() as conn:
        _one(conn, qos_id)
        return [(r.id, r.name) for r in _associated(conn, qos_id)]


@retry_on_conflict
def qos_associate(qos_id: str, type_id: str) -> None:
    """Conflict if the type is associated with other specs (a type has at most one); a no-op if with these."""
    with writer() as conn:
        _one(conn, qos_id)
        row = conn.execute(sa.select(_types.c.qos_specs_id).where(_types.c.id == type_id,
                                                                   _types.c.deleted == sa.false())).first()
        if row is None:
            raise errors.NotFound("Volume type", type_id)
        if row.qos_specs_id not in (None, qos_id):
            raise errors.Conflict(f"Invalid volume type: Type {type_id} is already associated with another qos "
                                  f"specs: {row.qos_specs_id}")
        # the compare-and-swap: another association landing in between makes this change nothing
        changed = conn.execute(sa.update(_types).where(
            _types.c.id == type_id, sa.or_(_types.c.qos_specs_id.is_(None), _types.c.qos_specs_id == qos_id))
            .values(qos_specs_id=qos_id)).rowcount
        if not changed:
            raise errors.Conflict(f"Invalid volume type: Type {type_id} is already associated with another qos "
                                  "specs.")


@retry_on_conflict
def qos_disassociate(qos_id: str, type_id: str | None = None) -> None:
    """From one type (nothing if it is not associated with these specs, as in Cinder) or, with no
    ``type_id``, from all."""
    with writer() as conn:
        _one(conn, qos_id)
        where = [_types.c.qos_specs_id == qos_id]
        if type_id is not None:
            where.append(_types.c.id == type_id)
        conn.execute(sa.update(_types).where(*where).values(qos_specs_id=None))


@retry_on_conflict
def qos_of_type(type_id: str | None) -> QosSpecs | None:
    """The specs the type is associated with, if any."""
    if type_id is None:
        return None
    with reader() as conn:
        rows = conn.execute(sa.select(_qos).join(_types, _types.c.qos_specs_id == _qos.c.id).where(
            _types.c.id == type_id, _LIVE)).all()
        return _load(conn, rows)[0] if rows else None


# -- volume type encryption --------------------------------------------------------------------------


def _encryption_of(row: Any) -> TypeEncryption:
    return TypeEncryption(volume_type_id=row.volume_type_id, encryption_id=row.encryption_id, provider=row.provider,
                          cipher=row.cipher, key_size=row.key_size, control_location=row.control_location,
                          created_at=row.created_at, updated_at=row.updated_at)


def _type_in_use(conn: Connection, type_id: str) -> bool:
    return conn.execute(sa.select(_volumes.c.id).where(_volumes.c.volume_type_id == type_id,
                                                       _volumes.c.deleted == sa.false()).limit(1)).first() is not None


def _live_type(conn: Connection, type_id: str) -> None:
    if conn.execute(sa.select(_types.c.id).where(_types.c.id == type_id,
                                                 _types.c.deleted == sa.false())).first() is None:
        raise errors.NotFound("Volume type", type_id)


@retry_on_conflict
def encryption_get(type_id: str) -> TypeEncryption | None:
    """The type's encryption specs, None if it has none; NotFound if there is no such type."""
    with reader() as conn:
        _live_type(conn, type_id)
        row = conn.execute(sa.select(_encryption).where(_encryption.c.volume_type_id == type_id)).first()
        return None if row is None else _encryption_of(row)


@retry_on_conflict
def type_encrypted(type_id: str) -> bool:
    """Whether the type has encryption specs (one statement: a create has just read the type)."""
    with reader() as conn:
        return conn.execute(sa.select(_encryption.c.volume_type_id)
                            .where(_encryption.c.volume_type_id == type_id)).first() is not None


@retry_on_conflict
def encryption_create(type_id: str, *, provider: str, control_location: str, cipher: str | None,
                      key_size: int | None) -> TypeEncryption:
    """Conflict (Cinder's 400) while volumes of the type exist or if the type has encryption specs."""
    with writer() as conn:
        _live_type(conn, type_id)
        if _type_in_use(conn, type_id):
            raise errors.Conflict("Cannot create encryption specs. Volume type in use.")
        if conn.execute(sa.select(_encryption.c.encryption_id)
                        .where(_encryption.c.volume_type_id == type_id)).first() is not None:
            raise errors.Conflict(f"Volume type encryption for type {type_id} already exists.")
        conn.execute(sa.insert(_encryption).values(
            volume_type_id=type_id, encryption_id=new_id(), provider=provider, cipher=cipher, key_size=key_size,
            control_location=control_location, created_at=utcnow()))
        return _encryption_of(conn.execute(sa.select(_encryption)
                                           .where(_encryption.c.volume_type_id == type_id)).one())


@retry_on_conflict
def encryption_update(type_id: str, **values: Any) -> None:
    """Conflict while volumes of the type exist; NotFound if the type has no encryption specs."""
    with writer() as conn:
        _live_type(conn, type_id)
        if _type_in_use(conn, type_id):
            raise errors.Conflict("Cannot update encryption specs. Volume type in use.")
        changed = conn.execute(sa.update(_encryption).where(_encryption.c.volume_type_id == type_id)
                               .values(updated_at=utcnow(), **values)).rowcount
        if not changed:
            raise errors.NotFound("Volume type encryption for type", type_id)


@retry_on_conflict
def encryption_delete(type_id: str) -> None:
    """Conflict while volumes of the type exist; NotFound if the type has no encryption specs."""
    with writer() as conn:
        if _type_in_use(conn, type_id):
            raise errors.Conflict("Cannot delete encryption specs. Volume type in use.")
        removed = conn.execute(sa.delete(_encryption).where(_encryption.c.volume_type_id == type_id)).rowcount
        if not removed:
            raise errors.NotFound("Volume type encryption for type", type_id)
