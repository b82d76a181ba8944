"""``ember-manage``: the operator's commands.

``db sync|version|purge``, ``quota check|sync`` (usage against the live resources),
``service list|remove``, ``cleanup`` (Cinder's workers/cleanup, and the attachments never completed) and
``keys generate|rotate`` (the keys of the secrets at rest).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from oslo_config import cfg

from common import binaries, config
from common.binaries import binary_of
from common.context import RequestContext
from db import api as db
from db import keyring, migrate, session
from db.errors import SecretKeyError
from launch import opts
from rpc.errors import ServiceUnavailable
from volume.client import VolumeClient
from volume.connections import SETTLE_RULE
from volume.states.attachments import ATTACHMENT_UNFINISHED, attachment_edge


@dataclass(frozen=True)
class Env:
    args: argparse.Namespace
    conf: cfg.ConfigOpts
    engine: sa.Engine


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    if (args.group, args.command) == ("keys", "generate"):  # needs neither the config nor the DB
        print(keyring.generate_key())
        return 0
    conf_argv = [arg for path in args.config_file for arg in ("--config-file", path)]
    conf = opts.load("ember-manage", conf_argv, default_config_files=[] if args.config_file else None)
    try:
        engine = session.configure(conf, url=conf.database.connection or session.default_url(config.state_path(conf)))
    except SecretKeyError as error:
        raise SystemExit(f"ember-manage: {error}") from None
    return _COMMANDS[args.group, args.command](Env(args, conf, engine))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ember-manage", description="ember administration")
    parser.add_argument("--config-file", action="append", default=[], help="ember.conf (repeatable)")
    sub = parser.add_subparsers(dest="group", required=True)
    db_sub = sub.add_parser("db", help="database schema and housekeeping").add_subparsers(dest="command",
                                                                                            required=True)
    db_sub.add_parser("sync", help="create or upgrade the schema to the newest version")
    db_sub.add_parser("version", help="print the schema version")
    db_sub.add_parser("purge", help="remove rows deleted more than --age-in-days ago, and Idempotency-Keys "
                                    "older than [database] idempotency_key_ttl_s").add_argument(
        "--age-in-days", type=int, default=30)
    quota_sub = sub.add_parser("quota", help="project usage against the resources that exist").add_subparsers(
        dest="command", required=True)
    quota_sub.add_parser("check", help="report every usage that differs from the live resources (exit 1 if any)")
    quota_sub.add_parser("sync", help="set every differing usage to what the live resources add up to")
    service_sub = sub.add_parser("service", help="the services table").add_subparsers(dest="command",
                                                                                       required=True)
    service_sub.add_parser("list", help="every service process, its HA role and last heartbeat")
    remove = service_sub.add_parser("remove", help="forget a service that is gone for good")
    remove.add_argument("binary", help="ember-volume, or Cinder's cinder-volume, ...")
    remove.add_argument("host")
    remove.add_argument("--node", help="only this process of the host (default: all of them)")
    cleanup = sub.add_parser("cleanup", help="take the work of volume services that are down away from them, "
                                             "for their backend's active to resume or fail")
    cleanup.add_argument("--host", help="only the services of this host (host@backend)")
    cleanup.add_argument("--resource-id", help="only the work on this volume or snapshot")
    cleanup.add_argument("--resource-type", choices=["volume", "snapshot"])
    cleanup.add_argument("--detach-unfinished-attachments", action="store_true",
                         help="also detach the attachments it lists as connected and never completed (their "
                              "host loses its access)")
    cleanup.set_defaults(command="")
    keys_sub = sub.add_parser("keys", help="the keys that encrypt secrets in the database ([keys])").add_subparsers(
        dest="command", required=True)
    keys_sub.add_parser("generate", help="print a new key, for [keys] secret_keys")
    keys_sub.add_parser("rotate", help="re-encrypt every stored secret with the first key (safe while services "
                                       "run; running it again changes nothing)")
    return parser


def _db_sync(env: Env) -> int:
    migrate.upgrade(env.engine)
    print(f"database at version {migrate.current_revision(env.engine)}")
    return 0


def _db_version(env: Env) -> int:
    print(migrate.current_revision(env.engine) or "empty")
    return 0


def _db_purge(env: Env) -> int:
    purged = db.db_purge(env.args.age_in_days, idempotency_ttl_s=env.conf.database.idempotency_key_ttl_s)
    for table, count in purged.items():
        print(f"{table}: {count} rows purged")
    return 0


def _print_drifts(drifts: list[db.UsageDrift], verb: str) -> None:
    for drift in drifts:
        print(f"{drift.kind} {drift.owner} {drift.resource}: recorded {drift.recorded:g}, resources "
              f"{drift.actual:g}{verb}")


def _quota_check(env: Env) -> int:
    drifts = db.quota_check()
    _print_drifts(drifts, "")
    print(f"{len(drifts)} difference(s)" if drifts else "usage matches the resources")
    return 1 if drifts else 0


def _quota_sync(env: Env) -> int:
    drifts = db.quota_sync()
    _print_drifts(drifts, " (set to the resources)")
    print(f"{len(drifts)} usage(s) repaired" if drifts else "usage matches the resources; nothing changed")
    return 0


def _service_list(env: Env) -> int:
    print(f"{'binary':16} {'host':32} {'node':24} {'status':9} {'frozen':7} {'role':8} {'epoch':6} heartbeat")
    for svc in db.service_list():
        epoch = "-" if svc.ha_epoch is None else str(svc.ha_epoch)
        print(f"{svc.binary:16} {svc.host:32} {svc.node:24} {'disabled' if svc.disabled else 'enabled':9} "
              f"{svc.frozen!s:7} {svc.ha_role or '-':8} {epoch:6} {svc.heartbeat_at.isoformat(timespec='seconds')}")
    return 0


def _service_remove(env: Env) -> int:
    args = env.args
    removed = db.service_remove(host=args.host, binary=binary_of(args.binary), node=args.node)
    print(f"{removed} service row(s) removed")
    return 0 if removed else 1


def _cleanup(env: Env) -> int:
    args = env.args
    filters = {key: value for key, value in (("host", args.host), ("resource_id", args.resource_id),
                                             ("resource_type", args.resource_type)) if value}
    done = db.work_cleanup(filters, binary=binaries.VOLUME, down_after_s=env.conf.service_down_time)
    for service in done.cleaning:
        print(f"cleaning: {service.host} (node {service.node}): its work goes to the backend's active")
        nudge_recovery(service.host)
    for service in done.unavailable:
        print(f"unavailable: {service.host} (node {service.node}): no live volume service of that backend")
    if not (done.cleaning or done.unavailable):
        print("no volume service that is down matches")
    if args.resource_type != "snapshot":
        _unfinished_attachments(env)
    return 0


def _unfinished_attachments(env: Env) -> None:
    """List (and with --detach-unfinished-attachments, detach) the attachments never completed."""
    args, after_s = env.args, env.conf.attachment_unfinished_after_s
    found = db.attachment_list_unfinished(statuses=frozenset(str(s) for s in ATTACHMENT_UNFINISHED),
                                          older_than_s=after_s, backend_host=args.host,
                                          resource_id=args.resource_id)
    volumes = db.volumes_by_id(a.volume_id for a in found)
    backends: set[str] = set()
    for attachment in found:
        changed = attachment.updated_at or attachment.created_at
        print(f"unfinished attachment: {attachment.id} of volume {attachment.volume_id} (project "
              f"{attachment.project_id}), connected to {attachment.attached_host or '-'}, not completed since "
              f"{changed.isoformat(timespec='seconds')}")
        volume = volumes.get(attachment.volume_id)
        if not args.detach_unfinished_attachments or volume is None or volume.backend_host is None:
            continue
        if db.attachment_transition(attachment.id, attachment_edge("disconnect.begin"), rule=SETTLE_RULE,
                                    expected_version=attachment.version) is None:
            print("  it changed meanwhile: left as it is")
            continue
        print("  detaching: the backend's active ends its connection")
        backends.add(volume.backend_host)
    for backend_host in sorted(backends):
        nudge_recovery(backend_host)
    if not found:
        print(f"no attachment has been connected and not completed for {after_s} s or more")


def nudge_recovery(backend_host: str) -> None:
    """Ask the backend's active to resume its unfinished work now (it also does every few seconds)."""
    try:
        VolumeClient().recover(RequestContext.service("ember-manage"), backend_host)
    except ServiceUnavailable as error:
        print(f"  (could not reach {backend_host} now: {error}; its periodic recovery will)")


def _keys_rotate(env: Env) -> int:
    rotation = db.secret_rotate()
    print(f"{rotation.rotated} secret(s) re-encrypted with the first key, {rotation.current} already were, "
          f"{rotation.changed} rewritten by a service meanwhile")
    for where in rotation.unreadable:
        print(f"cannot decrypt {where} with any configured key: add the key that encrypted it to [keys] "
              "secret_keys (or secret_key_file) and run this again")
    return 1 if rotation.unreadable else 0


_COMMANDS: dict[tuple[str, str], Callable[[Env], int]] = {
    ("db", "sync"): _db_sync, ("db", "version"): _db_version, ("db", "purge"): _db_purge,
    ("quota", "check"): _quota_check, ("quota", "sync"): _quota_sync,
    ("service", "list"): _service_list, ("service", "remove"): _service_remove, ("cleanup", ""): _cleanup,
    ("keys", "rotate"): _keys_rotate,
}
