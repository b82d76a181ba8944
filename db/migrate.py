"""Schema migrations with alembic: upgrade to head, safe when several run at once."""

from __future__ import annotations

import logging
import os
import time

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import exc
from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)

_SCRIPTS = os.path.join(os.path.dirname(__file__), "migrations")
_LOCK_NAME = "ember-db-sync"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", _SCRIPTS)
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, *, attempts: int = 10) -> None:
    """Bring the schema to head.

    Two ``db sync`` at once: on MySQL they queue on a named lock; where that lock does not
    span the cluster (Galera) or the loser's DDL fails anyway, it waits and tries again,
    and finds the schema at head.
    """
    config = alembic_config()
    for attempt in range(1, attempts + 1):
        if current_revision(engine) == head_revision():
            return
        try:
            with engine.connect() as conn:
                locked = _lock(conn)
                try:
                    config.attributes["connection"] = conn
                    command.upgrade(config, "head")
                    conn.commit()
                finally:
                    if locked:
                        _unlock(conn)
            return
        except (exc.OperationalError, exc.IntegrityError, exc.ProgrammingError) as error:
            if attempt == attempts:
                raise
            log.warning("db sync attempt %d failed (%s); trying again", attempt, error)
            time.sleep(0.5 * attempt)


def _lock(conn) -> bool:  # type: ignore[no-untyped-def]
    if conn.dialect.name not in ("mysql", "mariadb"):
        return False
    return bool(conn.exec_driver_sql(f"SELECT GET_LOCK('{_LOCK_NAME}', 120)").scalar())


def _unlock(conn) -> None:  # type: ignore[no-untyped-def]
    conn.exec_driver_sql(f"SELECT RELEASE_LOCK('{_LOCK_NAME}')")
