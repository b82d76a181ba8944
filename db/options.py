"""[database] options, and [keys]: the keys that encrypt the secrets the database keeps."""

from __future__ import annotations

from oslo_config import cfg

DATABASE_OPTS = [
    cfg.StrOpt("connection", secret=True,
               help="SQLAlchemy URL of the ember database, e.g. mysql+mysqldb://ember:PASSWORD@db-vip/ember "
                    "(mysqlclient; mysql+pymysql:// works without it, slower). Default: SQLite "
                    "under state_path."),
    cfg.IntOpt("max_pool_size", default=10, min=1,
               help="Connections each process keeps open. The api also runs at most max_pool_size + "
                    "max_overflow requests at once, so that none waits for a connection."),
    cfg.IntOpt("max_overflow", default=10, min=0, help="Connections each process may open beyond the pool."),
    cfg.IntOpt("pool_timeout_s", default=30, min=1, help="Seconds to wait for a free pooled connection."),
    cfg.BoolOpt("pool_pre_ping", default=False,
                help="Test each pooled connection with a round trip before use. Not needed: every DB "
                     "call is run again on a fresh connection when its connection turns out dead, "
                     "which also covers connections lost in the middle of a transaction."),
    cfg.IntOpt("connect_timeout_s", default=10, min=1,
               help="Seconds a new MariaDB/MySQL connection may take before it counts as failed."),
    cfg.IntOpt("deadlock_retries", default=8, min=0,
               help="Retries of a transaction that lost a Galera certification conflict, a lock wait "
                    "or its connection."),
    cfg.IntOpt("unavailable_retry_s", default=30, min=0,
               help="Seconds a transaction keeps being retried while the database is unreachable (a "
                    "Galera node failing over behind HAProxy takes a few)."),
    cfg.BoolOpt("wsrep_sync_wait", default=True,
                help="On Galera, make reads wait for writes committed on other nodes (read-your-writes)."),
    cfg.IntOpt("idempotency_key_ttl_s", default=86400, min=60,
               help="Seconds the answer to a POST that carried an Idempotency-Key is kept for its retries. "
                    "Past it the key is forgotten (a new request with it runs afresh) and its row is purged "
                    "(by the api every few minutes, and by ember-manage db purge)."),
]

KEY_OPTS = [
    cfg.ListOpt("secret_keys", default=[], secret=True,
                help="Fernet keys (32 url-safe base64-encoded bytes; `ember-manage keys generate` prints a new "
                     "one) that encrypt the secrets ember keeps in its database (the CHAP credentials of "
                     "exports). The first encrypts, every one decrypts. Every ember process must be given "
                     "the same keys. To change keys: add the new one last everywhere, then move it first "
                     "everywhere, run `ember-manage keys rotate`, then remove the old one."),
    cfg.StrOpt("secret_key_file",
               help="A file holding the keys instead, one per line, the first encrypting (used when "
                    "secret_keys is empty). With neither set, a key is generated once into "
                    "$state_path/secret_keys (mode 0600): enough for one host, not for processes on several."),
]


def register(conf: cfg.ConfigOpts) -> None:
    conf.register_opts(DATABASE_OPTS, group="database")
    conf.register_opts(KEY_OPTS, group="keys")
