"""Engines, short transactions and the retry rule for them.

Every DB API function runs its whole body in :func:`writer` or :func:`reader`. A body that
loses a Galera certification conflict (1213 at COMMIT) or a lock wait (1205) is run again
from the start by :func:`retry_on_conflict` a few times; one that lost its connection
(2003/2006/2013) is run again for as long as a failover takes. Only idempotent bodies are
wrapped, and the winner of a compare-and-swap is whoever commits.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

import sqlalchemy as sa
from oslo_config import cfg
from sqlalchemy import event, exc
from sqlalchemy.engine import Connection, Engine
from tenacity import RetryCallState, retry, retry_if_exception, wait_random_exponential

from db import keyring

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

# MySQL/MariaDB errors after which running the whole transaction again is safe:
# conflicts (lost a certification or a lock wait) are retried a few times ...
_CONFLICT_MYSQL = {1205, 1213}
# ... an unreachable or not-yet-primary node for as long as a failover takes
_UNAVAILABLE_MYSQL = {2003, 2006, 2013, 1047, 4031}

_engine: Engine | None = None
# on MariaDB/MySQL, reads go through a second pool whose connections are in autocommit: each read
# statement is then one round trip, without the ROLLBACK that ends a read transaction (under READ
# COMMITTED a read transaction gives no snapshot across its statements anyway)
_read_engine: Engine | None = None
_engine_lock = threading.Lock()
_retries = 8
_unavailable_retry_s = 30.0


def default_url(state_path: str) -> str:
    return f"sqlite:///{os.path.join(state_path, 'ember.sqlite')}"


def configure(conf: cfg.ConfigOpts, url: str | None = None) -> Engine:
    """Create the process's engine (once) from ``[database]``, and load its ``[keys]``.

    Raises SecretKeyError if the keys are unusable.
    """
    global _engine, _read_engine, _retries, _unavailable_retry_s
    keyring.configure(keyring.from_conf(conf))
    with _engine_lock:
        _dispose_engines()
        _retries = conf.database.deadlock_retries
        _unavailable_retry_s = conf.database.unavailable_retry_s
        url = url or conf.database.connection
        _engine = make_engine(url, conf)
        _read_engine = None if url.startswith("sqlite") else make_engine(url, conf, autocommit=True)
        return _engine


def make_engine(url: str, conf: cfg.ConfigOpts | None = None, *, autocommit: bool = False) -> Engine:
    db = conf.database if conf is not None else None
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                                  pool_size=db.max_pool_size if db else 5, max_overflow=20, hide_parameters=True)
        _sqlite_setup(engine)
        return engine
    engine = sa.create_engine(
        url,
        # off by default, no round trip per checkout: a dead pooled connection fails the statement
        # instead, SQLAlchemy then drops the pool's old connections, and every DB API function,
        # readers included, is retried by retry_on_conflict
        pool_pre_ping=db.pool_pre_ping if db else False,
        pool_recycle=600,
        # every connection comes back from writer() committed or rolled back, and from reader()
        # through Connection.close(), which ends its transaction: the pool's own ROLLBACK on
        # return would be one more round trip per DB call for nothing
        pool_reset_on_return=None,
        pool_size=db.max_pool_size if db else 5,
        max_overflow=db.max_overflow if db else 10,
        pool_timeout=db.pool_timeout_s if db else 30,
        isolation_level="AUTOCOMMIT" if autocommit else "READ COMMITTED",
        # an autocommit connection has nothing to roll back when it goes back to the pool
        skip_autocommit_rollback=autocommit,
        connect_args={"connect_timeout": db.connect_timeout_s if db else 10},
        # a failed statement's error (and so its log line) never shows its values: they may be secrets
        hide_parameters=True,
    )
    if db is None or db.wsrep_sync_wait:
        _galera_setup(engine)
    return engine


def _sqlite_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # type: ignore[no-untyped-def]
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves, below
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # type: ignore[no-untyped-def]
        # Writers take SQLite's write lock up front so two of them never deadlock upgrading
        # a read lock; readers run without a transaction and never block writers.
        if conn.get_execution_options().get("ember_write"):
            conn.exec_driver_sql("BEGIN IMMEDIATE")


def _galera_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # type: ignore[no-untyped-def]
        cur = dbapi_conn.cursor()
        cur.execute("SHOW VARIABLES LIKE 'wsrep_on'")
        row = cur.fetchone()
        if row and str(row[1]).upper() == "ON":
            cur.execute("SET SESSION wsrep_sync_wait = 1")
        cur.close()


def engine() -> Engine:
    if _engine is None:
        raise RuntimeError("db.session.configure() was not called")
    return _engine


def dispose() -> None:
    with _engine_lock:
        _dispose_engines()


def _dispose_engines() -> None:
    global _engine, _read_engine
    for each in (_engine, _read_engine):
        if each is not None:
            each.dispose()
    _engine = _read_engine = None


def _mysql_code(error: BaseException) -> int | None:
    args = getattr(getattr(error, "orig", None), "args", ())
    return args[0] if args and isinstance(args[0], int) else None


def _is_conflict(error: BaseException) -> bool:
    return isinstance(error, exc.DBAPIError) and (
        _mysql_code(error) in _CONFLICT_MYSQL or "database is locked" in str(error.orig))


def _is_unavailable(error: BaseException) -> bool:
    return isinstance(error, exc.DBAPIError) and (
        error.connection_invalidated or _mysql_code(error) in _UNAVAILABLE_MYSQL)


class _StopRule:
    """Give up after ``_retries`` conflicts, or after ``_unavailable_retry_s`` of unreachable DB."""

    def __call__(self, state: RetryCallState) -> bool:
        error = state.outcome.exception() if state.outcome else None
        if error is not None and _is_unavailable(error):
            return (state.seconds_since_start or 0.0) >= _unavailable_retry_s
        return state.attempt_number > _retries


def retry_on_conflict(fn: Callable[P, R]) -> Callable[P, R]:
    """Run ``fn`` again, from the start, after a retryable DB error (see module docstring)."""

    retrying = retry(
        retry=retry_if_exception(_is_retryable),
        stop=_StopRule(),
        wait=wait_random_exponential(multiplier=0.02, max=1.0),
        reraise=True,
        before_sleep=lambda state: log.info(
            "retrying %s after %s", fn.__name__, state.outcome.exception() if state.outcome else "?"),
    )(fn)

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:  # the common case, without tenacity's bookkeeping
            return fn(*args, **kwargs)
        except Exception as error:
            if not _is_retryable(error):
                raise
        return retrying(*args, **kwargs)

    return wrapper


def _is_retryable(error: BaseException) -> bool:
    return _is_conflict(error) or _is_unavailable(error)


@contextmanager
def writer() -> Iterator[Connection]:
    """One short read-write transaction; it commits when the block ends."""
    with engine().connect().execution_options(ember_write=True) as conn, conn.begin():
        yield conn


@contextmanager
def reader() -> Iterator[Connection]:
    """Reads: each statement on its own (autocommit) on MariaDB/MySQL; on SQLite without a transaction."""
    with (_read_engine or engine()).connect() as conn:
        yield conn


def ping() -> None:
    """Raise if the database does not answer (the api's /healthcheck)."""
    with reader() as conn:
        conn.exec_driver_sql("SELECT 1")
