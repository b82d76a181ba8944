"""``ember-manage``: the operator's commands on the database.

``db sync|version|purge``, ``quota check|sync`` (usage against the live resources) and
``service list|remove``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import timedelta

import sqlalchemy as sa

from common import config
from common.binaries import binary_of
from db import api as db
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
                table.c.deleted == sa.true(), table.c.deleted_at < cutoff)).rowcount
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
    quota_parser = sub.add_parser("quota", help="project usage against the resources that exist")
    quota_sub = quota_parser.add_subparsers(dest="command", required=True)
    quota_sub.add_parser("check", help="report every usage that differs from the live resources (exit 1 if any)")
    quota_sub.add_parser("sync", help="set every differing usage to what the live resources add up to")
    service_parser = sub.add_parser("service", help="the services table")
    service_sub = service_parser.add_subparsers(dest="command", required=True)
    service_sub.add_parser("list", help="every service process and its last heartbeat")
    remove = service_sub.add_parser("remove", help="forget a service that is gone for good")
    remove.add_argument("binary")
    remove.add_argument("host")
    remove.add_argument("--node", help="only this process of the host (default: all of them)")
    args = parser.parse_args(argv)

    conf_argv = [arg for path in args.config_file for arg in ("--config-file", path)]
    conf = config.load(conf_argv, [options.register], default_config_files=[] if args.config_file else None)
    url = conf.database.connection or session.default_url(config.state_path(conf))
    engine = session.configure(conf, url=url)
    return _COMMANDS[args.group, args.command](args, engine)


def _db_sync(args: argparse.Namespace, engine: sa.Engine) -> int:
    migrate.upgrade(engine)
    print(f"database at version {migrate.current_revision(engine)}")
    return 0


def _db_version(args: argparse.Namespace, engine: sa.Engine) -> int:
    print(migrate.current_revision(engine) or "empty")
    return 0


def _db_purge(args: argparse.Namespace, engine: sa.Engine) -> int:
    for table, count in purge(args.age_in_days).items():
        print(f"{table}: {count} rows purged")
    return 0


def _print_drifts(drifts: list[db.UsageDrift], verb: str) -> None:
    for drift in drifts:
        print(f"{drift.kind} {drift.owner} {drift.resource}: recorded {drift.recorded:g}, resources "
              f"{drift.actual:g}{verb}")


def _quota_check(args: argparse.Namespace, engine: sa.Engine) -> int:
    drifts = db.quota_check()
    _print_drifts(drifts, "")
    print(f"{len(drifts)} difference(s)" if drifts else "usage matches the resources")
    return 1 if drifts else 0


def _quota_sync(args: argparse.Namespace, engine: sa.Engine) -> int:
    drifts = db.quota_sync()
    _print_drifts(drifts, " (set to the resources)")
    print(f"{len(drifts)} usage(s) repaired" if drifts else "usage matches the resources; nothing changed")
    return 0


def _service_list(args: argparse.Namespace, engine: sa.Engine) -> int:
    print(f"{'binary':16} {'host':32} {'node':24} {'status':9} {'frozen':7} {'role':8} {'epoch':6} heartbeat")
    for svc in db.service_list():
        print(f"{svc.binary:16} {svc.host:32} {svc.node:24} {'disabled' if svc.disabled else 'enabled':9} "
              f"{svc.frozen!s:7} {svc.ha_role or '-':8} {'-' if svc.ha_epoch is None else svc.ha_epoch!s:6} "
              f"{svc.heartbeat_at.isoformat(timespec='seconds')}")
    return 0


def _service_remove(args: argparse.Namespace, engine: sa.Engine) -> int:
    removed = db.service_remove(host=args.host, binary=binary_of(args.binary), node=args.node)
    print(f"{removed} service row(s) removed")
    return 0 if removed else 1


_COMMANDS = {("db", "sync"): _db_sync, ("db", "version"): _db_version, ("db", "purge"): _db_purge,
             ("quota", "check"): _quota_check, ("quota", "sync"): _quota_sync,
             ("service", "list"): _service_list, ("service", "remove"): _service_remove}


if __name__ == "__main__":
    raise SystemExit(main())
