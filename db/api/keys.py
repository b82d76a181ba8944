"""Key rotation of the secrets at rest: re-encrypt every stored secret with the first key.

Every column of type ``EncryptedString`` (today: volumes.provider_auth) is read raw, row by
row; a value the first key does not already encrypt (an older key's, or a plaintext from
before encryption) is replaced by one compare-and-swap on the value read, so a row a running
service rewrote meanwhile (its export re-made or removed) is left as that service wrote it.
Running it again changes nothing; running it while services run is safe.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from db import errors, keyring
from db.keyring import EncryptedString
from db.models import Base
from db.session import reader, retry_on_conflict, writer

_PAGE = 500


@dataclass
class Rotation:
    rotated: int = 0      # re-encrypted with the first key now
    current: int = 0      # already encrypted with it
    changed: int = 0      # rewritten by a service while this ran (so with that service's first key)
    unreadable: list[str] = field(default_factory=list)  # "table.column id": no configured key decrypts it


def secret_rotate() -> Rotation:
    rotation = Rotation()
    for table, column in secret_columns():
        (key,) = table.primary_key.columns
        raw = sa.table(table.name, sa.column(key.name, sa.String), sa.column(column.name, sa.String))
        after: str | None = None
        while True:
            page = _page(raw, key.name, column.name, after)
            for row_id, stored in page:
                _rotate_one(raw, key.name, column.name, row_id, stored, rotation)
            if len(page) < _PAGE:
                break
            after = page[-1][0]
    return rotation


def secret_columns() -> list[tuple[sa.Table, sa.Column[str]]]:
    """Every column that keeps a secret encrypted."""
    return [(table, column) for table in Base.metadata.sorted_tables for column in table.columns
            if isinstance(column.type, EncryptedString)]


@retry_on_conflict
def _page(raw: sa.TableClause, key: str, column: str, after: str | None) -> list[tuple[str, str]]:
    query = sa.select(raw.c[key], raw.c[column]).where(raw.c[column].is_not(None))
    if after is not None:
        query = query.where(raw.c[key] > after)
    with reader() as conn:
        return [(str(k), str(v)) for k, v in conn.execute(query.order_by(raw.c[key]).limit(_PAGE))]


def _rotate_one(raw: sa.TableClause, key: str, column: str, row_id: str, stored: str, rotation: Rotation) -> None:
    ring = keyring.current()
    if ring.is_current(stored):
        rotation.current += 1
        return
    try:
        fresh = ring.encrypt(ring.decrypt(stored))
    except errors.SecretKeyError:
        rotation.unreadable.append(f"{raw.name}.{column} {row_id}")
        return
    if _swap(raw, key, column, row_id, stored, fresh):
        rotation.rotated += 1
    else:
        rotation.changed += 1


@retry_on_conflict
def _swap(raw: sa.TableClause, key: str, column: str, row_id: str, stored: str, fresh: str) -> bool:
    with writer() as conn:
        return conn.execute(sa.update(raw).where(raw.c[key] == row_id, raw.c[column] == stored)
                            .values({column: fresh})).rowcount == 1
