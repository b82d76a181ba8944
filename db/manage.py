"""``ember-manage``: the operator's database commands (``db sync``, ``db version``, ``db purge``)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import timedelta

import sqlalchemy as sa

from common import config
from db import migrate, models, options, session
from db.api._common import utcnow

_SOFT_DELETED = (models.Volume, models.Snapshot, models.Attachment, models.Backup, models.VolumeType)


def purge(age_days: int) -> dict[str, int]:
    """Remove rows soft-deleted more than ``age_days`` ago; returns rows removed per table."""
    cutoff = utcnow() - timedelta(days=age_days)
    removed: dict[str, int] = {}
    with session.writer() as conn:
        for model in _SOFT_DELETED:
            table = models.table_of(model)
            removed[table.name] = conn.execute(sa.delete(table).where(
                table.c.deleted.is_(True), table.c.deleted_at < cutoff)).rowcount
        messages = models.table_of(models.UserMessage)
        removed["messages"] = conn.execute(sa.delete(messages).where(messages.c.expires_at < utcnow())).rowcount
    return removed


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="ember-manage", description="ember database administration")
    parser.add_argument("--config-file", action="append", default=[], help="ember.conf (repeatable)")
    sub = parser.add_subparsers(dest="group", required=True)
    db_parser = sub.add_parser("db", help="database schema and housekeeping")
    db_sub = db_parser.add_subparsers(dest="command", required=True)
    db_sub.add_parser("sync", help="create or upgrade the schema to the newest version")
    db_sub.add_parser("version", help="print the schema version")
    purge_parser = db_sub.add_parser("purge", help="remove rows deleted more than --age-in-days ago")
    purge_parser.add_argument("--age-in-days", type=int, default=30)
    args = parser.parse_args(argv)

    conf_argv = [arg for path in args.config_file for arg in ("--config-file", path)]
    conf = config.load(conf_argv, [options.register], default_config_files=[] if args.config_file else None)
    url = conf.database.connection or session.default_url(config.state_path(conf))
    engine = session.configure(conf, url=url)
    if args.command == "sync":
        migrate.upgrade(engine)
        print(f"database at version {migrate.current_revision(engine)}")
    elif args.command == "version":
        print(migrate.current_revision(engine) or "empty")
    else:
        for table, count in purge(args.age_in_days).items():
            print(f"{table}: {count} rows purged")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
