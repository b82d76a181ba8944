"""Helpers shared by the DB API modules: time, compare-and-swap, listing with markers.

The statements every request and operation runs (a row by id, a compare-and-swap) are built once
per shape with bound parameters and reused: SQLAlchemy then neither rebuilds them nor computes
their cache key again, which was a fifth of a volume service's CPU per operation.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from db import errors


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def cas_update(conn: Connection, table: sa.Table, row_id: str, *, sources: Iterable[str] | None,
               expected_version: int | None = None, project_id: str | None = None,
               extra_where: Sequence[Any] = (), values: Mapping[str, Any]) -> bool:
    """One ``UPDATE … WHERE id = ? AND status IN (…) [AND version = ?]`` that bumps the version.

    True when this statement changed the row. Under Galera the caller only knows it won once
    the surrounding transaction has committed (a 1213 at COMMIT means it lost).
    """
    if extra_where or any(isinstance(value, sa.ClauseElement) for value in values.values()):
        return _cas_update_built(conn, table, row_id, sources=sources, expected_version=expected_version,
                                 project_id=project_id, extra_where=extra_where, values=values)
    stmt = _cas_statement(table, sources is not None, expected_version is not None, project_id is not None,
                          tuple(sorted(values)))
    params: dict[str, Any] = {"_id": row_id, "_now": utcnow(), **{f"_v_{k}": v for k, v in values.items()}}
    if sources is not None:
        params["_sources"] = sorted(sources)
    if expected_version is not None:
        params["_version"] = expected_version
    if project_id is not None:
        params["_project"] = project_id
    return conn.execute(stmt, params).rowcount == 1


@functools.cache
def _cas_statement(table: sa.Table, with_sources: bool, with_version: bool, with_project: bool,
                   keys: tuple[str, ...]) -> sa.Update:
    where = [table.c.id == sa.bindparam("_id"), table.c.deleted == sa.false()]
    if with_sources:
        where.append(table.c.status.in_(sa.bindparam("_sources", expanding=True)))
    if with_version:
        where.append(table.c.version == sa.bindparam("_version"))
    if with_project:
        where.append(table.c.project_id == sa.bindparam("_project"))
    bound = {key: sa.bindparam(f"_v_{key}", type_=table.c[key].type) for key in keys}
    return sa.update(table).where(*where).values(
        version=table.c.version + 1, updated_at=sa.bindparam("_now", type_=table.c.updated_at.type), **bound)


def _cas_update_built(conn: Connection, table: sa.Table, row_id: str, *, sources: Iterable[str] | None,
                      expected_version: int | None, project_id: str | None, extra_where: Sequence[Any],
                      values: Mapping[str, Any]) -> bool:
    where = [table.c.id == row_id, table.c.deleted == sa.false(), *extra_where]
    if sources is not None:
        where.append(table.c.status.in_(sorted(sources)))
    if expected_version is not None:
        where.append(table.c.version == expected_version)
    if project_id is not None:
        where.append(table.c.project_id == project_id)
    stmt = (sa.update(table).where(*where)
            .values(version=table.c.version + 1, updated_at=utcnow(), **values))
    return conn.execute(stmt).rowcount == 1


def get_one(conn: Connection, table: sa.Table, row_id: str, *, resource: str,
            project_id: str | None = None) -> Any:
    if project_id is None:
        row = conn.execute(live_row(table), {"_id": row_id}).first()
    else:
        row = conn.execute(_live_row_of_project(table), {"_id": row_id, "_project": project_id}).first()
    if row is None:
        raise errors.NotFound(resource, row_id)
    return row


@functools.cache
def live_row(table: sa.Table) -> sa.Select[Any]:
    """``SELECT * … WHERE id = :_id AND NOT deleted``, built once per table."""
    return sa.select(table).where(table.c.id == sa.bindparam("_id"), table.c.deleted == sa.false())


@functools.cache
def _live_row_of_project(table: sa.Table) -> sa.Select[Any]:
    return live_row(table).where(table.c.project_id == sa.bindparam("_project"))


@functools.cache
def any_row(table: sa.Table) -> sa.Select[Any]:
    """``SELECT * … WHERE id = :_id``, deleted or not, built once per table."""
    return sa.select(table).where(table.c.id == sa.bindparam("_id"))


def list_query(conn: Connection, table: sa.Table, *, resource: str, where: Sequence[Any],
               sort: Sequence[tuple[str, str]], limit: int | None, marker: str | None,
               offset: int | None, marker_scope: Sequence[Any] = ()) -> list[Any]:
    """Rows matching ``where`` ordered by ``sort`` (then id), after the ``marker`` row.

    ``sort`` is [(column, "asc"|"desc")]; unknown columns are the caller's job to refuse. The
    marker must be a row the caller may see (``marker_scope``, e.g. its project): another
    project's id is as unknown as one that never existed, so a list cannot tell whether it does.
    """
    keys = list(sort) + ([("id", sort[-1][1] if sort else "desc")] if all(k != "id" for k, _ in sort) else [])
    query = sa.select(table).where(*where)
    if marker is not None:
        marker_row = conn.execute(sa.select(table).where(table.c.id == marker, *marker_scope)).first()
        if marker_row is None:
            raise errors.NotFound(f"Marker {resource}", marker)
        query = query.where(_after(table, keys, marker_row._mapping))
    for key, direction in keys:
        column = table.c[key]
        query = query.order_by(column.desc() if direction == "desc" else column.asc())
    if offset:
        query = query.offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return list(conn.execute(query))


def project_scope(table: sa.Table, project_id: str | None) -> list[Any]:
    """The marker scope of a project's list (none for an admin's list of every project)."""
    return [] if project_id is None else [table.c.project_id == project_id]


def _after(table: sa.Table, keys: Sequence[tuple[str, str]], marker: Any) -> Any:
    """The lexicographic "comes after the marker" condition for a multi-key sort."""
    clauses = []
    for i, (key, direction) in enumerate(keys):
        equal_before = [_equal(table.c[k], marker[k]) for k, _ in keys[:i]]
        column, value = table.c[key], marker[key]
        beyond: Any
        if value is None:
            beyond = column.is_not(None) if direction == "asc" else sa.false()
        else:
            beyond = column > value if direction == "asc" else sa.or_(column < value, column.is_(None))
        clauses.append(sa.and_(*equal_before, beyond))
    return sa.or_(*clauses)


def _equal(column: Any, value: Any) -> Any:
    return column.is_(None) if value is None else column == value


def insert_ignore(conn: Connection, table: sa.Table, values: Mapping[str, object]) -> bool:
    """Insert unless the primary key exists; True if this call inserted the row."""
    dialect = conn.dialect.name
    stmt = sa.insert(table).values(**values)
    if dialect == "sqlite":
        stmt = stmt.prefix_with("OR IGNORE")
    elif dialect in ("mysql", "mariadb"):
        stmt = stmt.prefix_with("IGNORE")
    else:  # postgresql
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        stmt = pg_insert(table).values(**values).on_conflict_do_nothing()
    return conn.execute(stmt).rowcount == 1


def new_id() -> str:
    return str(uuid.uuid4())
