"""Helpers shared by the DB API modules: time, compare-and-swap, listing with markers."""

from __future__ import annotations

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
    where = [table.c.id == row_id, table.c.deleted == sa.false()]
    if project_id is not None:
        where.append(table.c.project_id == project_id)
    row = conn.execute(sa.select(table).where(*where)).first()
    if row is None:
        raise errors.NotFound(resource, row_id)
    return row


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
