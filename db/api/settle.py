"""A volume's status at rest follows its attachments: the rule (handed in from the state table) and
the statement that applies it, inside the caller's transaction. Used by every writer of attachments."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from db import models
from db.models import table_of

_attachments = table_of(models.Attachment)
_volumes = table_of(models.Volume)

_STATUSES = sa.select(_attachments.c.status).where(_attachments.c.volume_id == sa.bindparam("_volume"),
                                                  _attachments.c.deleted == sa.false())


@functools.cache
def _settle_statement(follows: frozenset[str]) -> sa.Update:
    """The volume's status follows only from the ``follows`` statuses; built once per rule."""
    status = sa.bindparam("_status", type_=_volumes.c.status.type)
    return sa.update(_volumes).where(_volumes.c.id == sa.bindparam("_volume")).values(
        attach_status=sa.bindparam("_attach_status", type_=_volumes.c.attach_status.type),
        status=sa.case((_volumes.c.status.in_(sorted(follows)), status), else_=_volumes.c.status))


@dataclass(frozen=True)
class SettleRule:
    """How a volume's status follows its attachments: the state table's, handed in by the caller."""

    follows: frozenset[str]   # the volume statuses that follow the attachments; others are left alone
    settled: Callable[[list[str]], tuple[str, str]]  # attachment statuses -> (status, attach_status)


def settle(conn: Connection, volume_id: str, rule: SettleRule) -> None:
    """Inside a writer: the volume's status and attach_status from its live attachments."""
    statuses = list(conn.execute(_STATUSES, {"_volume": volume_id}).scalars())
    status, attach_status = rule.settled(statuses)
    conn.execute(_settle_statement(rule.follows),
                 {"_volume": volume_id, "_status": str(status), "_attach_status": str(attach_status)})
