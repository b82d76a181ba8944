"""ember volume ...: create, list, show, change, delete, extend, retype, migrate and reset volumes."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from typing import Any

from client import output, waiting
from client.commands.common import (
    Resource,
    confirm,
    drop_none,
    find,
    label,
    manage_reference,
    manageable_table,
    show,
    table,
    unmanage,
)
from client.http import ClientError, Session


def _attached(volume: Mapping[str, Any]) -> str:
    lines = []
    for att in volume.get("attachments") or []:
        who = att.get("server_id") or att.get("host_name") or att.get("attachment_id") or "?"
        lines.append(f"Attached to {who} on {att['device']}" if att.get("device") else f"Attached to {who}")
    return "\n".join(lines)


def volume_create(session: Session, args: argparse.Namespace) -> None:
    if args.size is None and not (args.snapshot or args.source):
        raise ClientError("give the size in GB with --size, or copy one with --snapshot or --source.")
    body = drop_none({"size": args.size, "name": args.name, "description": args.description,
                      "volume_type": args.type, "availability_zone": args.availability_zone,
                      "metadata": dict(args.property) or None})
    if args.snapshot:
        body["snapshot_id"] = find(session, "snapshot", args.snapshot)["id"]
    if args.source:
        body["source_volid"] = find(session, "volume", args.source)["id"]
    volume = session.post("/volumes", {"volume": body})["volume"]
    if args.wait:
        volume = waiting.wait_settled(session, "volume", volume["id"], timeout_s=args.timeout)
    show(args, volume)


def volume_list(session: Session, args: argparse.Namespace) -> None:
    params = drop_none({"all_tenants": 1 if args.all_projects else None, "status": args.status,
                        "name": args.name, "limit": args.limit})
    volumes = session.get("/volumes/detail", params=params).get("volumes", [])
    headers = ["ID", "Name", "Status", "Size", "Type", "Bootable", "Attached to"]
    if args.long:
        headers += ["Availability Zone", "Host", "Properties"]
    if args.all_projects:
        headers.insert(1, "Project")
    rows = []
    for v in volumes:
        row = [v.get("id"), v.get("name"), v.get("status"), v.get("size"), v.get("volume_type"),
               v.get("bootable"), _attached(v)]
        if args.long:
            row += [v.get("availability_zone"), v.get("os-vol-host-attr:host"), v.get("metadata")]
        if args.all_projects:
            row.insert(1, v.get("os-vol-tenant-attr:tenant_id"))
        rows.append(row)
    table(args, volumes, headers, rows)


def volume_show(session: Session, args: argparse.Namespace) -> None:
    show(args, find(session, "volume", args.volume))


def volume_set(session: Session, args: argparse.Namespace) -> None:
    volume = find(session, "volume", args.volume)
    changes = drop_none({"name": args.name, "description": args.description})
    if args.property:
        changes["metadata"] = {**(volume.get("metadata") or {}), **dict(args.property)}
    if not changes:
        raise ClientError("nothing to change: give --name, --description or --property KEY=VALUE.")
    updated = session.put(f"/volumes/{volume['id']}", {"volume": changes}).get("volume", volume)
    confirm(args, f"Volume {label(updated)} updated: {', '.join(sorted(changes))}.")


def volume_delete(session: Session, args: argparse.Namespace) -> int:
    failed, accepted = 0, []
    for ref in args.volumes:
        try:
            volume = find(session, "volume", ref)
            if args.force:
                session.post(f"/volumes/{volume['id']}/action", {"os-force_delete": {}})
            else:
                session.delete(f"/volumes/{volume['id']}")
            accepted.append(volume)
            if not args.wait:
                confirm(args, f"Deletion of volume {label(volume)} accepted.")
        except ClientError as exc:
            failed += 1
            output.print_error(exc)
    for volume in accepted if args.wait else []:
        try:
            waiting.wait_deleted(session, "volume", volume["id"], timeout_s=args.timeout)
            confirm(args, f"Volume {label(volume)} deleted.")
        except ClientError as exc:
            failed += 1
            output.print_error(exc)
    if failed and len(args.volumes) > 1:
        print(f"ERROR: {failed} of {len(args.volumes)} volumes failed to delete.", file=sys.stderr)
    return 1 if failed else 0


def volume_extend(session: Session, args: argparse.Namespace) -> None:
    volume = find(session, "volume", args.volume)
    session.post(f"/volumes/{volume['id']}/action", {"os-extend": {"new_size": args.size}})
    if not args.wait:
        confirm(args, f"Extend of volume {label(volume)} to {args.size} GB accepted; follow it with "
                      f"`ember volume show {volume['id']}`.")
        return

    def grown(v: Resource) -> bool:
        return v.get("status") in waiting.SETTLED and int(v.get("size") or 0) >= args.size

    waiting.wait_settled(session, "volume", volume["id"], timeout_s=args.timeout, ready=grown)
    confirm(args, f"Volume {label(volume)} extended to {args.size} GB.")


def volume_reset_status(session: Session, args: argparse.Namespace) -> None:
    volume = find(session, "volume", args.volume)
    session.post(f"/volumes/{volume['id']}/action", {"os-reset_status": {"status": args.state}})
    confirm(args, f"Volume {label(volume)} status reset from {volume.get('status')} to {args.state}.")


def volume_manage(session: Session, args: argparse.Namespace) -> None:
    body = drop_none({"host": args.host, "ref": manage_reference(args.ref, args.id_type), "name": args.name,
                      "description": args.description, "volume_type": args.type,
                      "availability_zone": args.availability_zone, "bootable": args.bootable or None,
                      "metadata": dict(args.property) or None})
    volume = session.post("/manageable_volumes", {"volume": body})["volume"]
    if args.wait:
        volume = waiting.wait_settled(session, "volume", volume["id"], timeout_s=args.timeout)
    show(args, volume)


def volume_unmanage(session: Session, args: argparse.Namespace) -> None:
    unmanage(session, args, "volume", find(session, "volume", args.volume))


def volume_manageable_list(session: Session, args: argparse.Namespace) -> None:
    manageable_table(session, args, "volumes")


def volume_retype(session: Session, args: argparse.Namespace) -> None:
    volume = find(session, "volume", args.volume)
    new_type = find(session, "type", args.type)
    session.post(f"/volumes/{volume['id']}/action", {"os-retype": {"new_type": new_type["id"],
                                                                   "migration_policy": args.migration_policy}})
    if not args.wait:
        confirm(args, f"Retype of volume {label(volume)} to {new_type['name']} accepted; follow it with "
                      f"`ember volume show {volume['id']}`.")
        return
    done = waiting.wait_moved(session, volume["id"], timeout_s=args.timeout,
                              moved=lambda v: v.get("volume_type") in (new_type["name"], new_type["id"]))
    confirm(args, f"Volume {label(volume)} retyped to {new_type['name']}"
                  + (f", now on {done['os-vol-host-attr:host']}." if done.get("os-vol-host-attr:host") else "."))


def volume_migrate(session: Session, args: argparse.Namespace) -> None:
    volume = find(session, "volume", args.volume)
    before = volume.get("os-vol-host-attr:host")
    session.post(f"/volumes/{volume['id']}/action", {"os-migrate_volume": {
        "host": args.host, "force_host_copy": args.force_host_copy, "lock_volume": args.lock_volume}})
    if not args.wait:
        confirm(args, f"Migration of volume {label(volume)} to {args.host} accepted; follow it with "
                      f"`ember volume show {volume['id']}` (migration_status).")
        return
    done = waiting.wait_moved(session, volume["id"], timeout_s=args.timeout,
                              moved=lambda v: v.get("os-vol-host-attr:host") not in (None, before))
    confirm(args, f"Volume {label(volume)} migrated to {done.get('os-vol-host-attr:host')}.")
