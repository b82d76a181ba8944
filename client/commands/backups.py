"""ember backup ...: create, list, show, delete and restore backups (progress on a terminal with --wait)."""

from __future__ import annotations

import argparse

from client import waiting
from client.commands.common import confirm, drop_none, find, label, show, table
from client.http import Session


def backup_create(session: Session, args: argparse.Namespace) -> None:
    volume_id = find(session, "volume", args.volume)["id"]
    body = drop_none({"volume_id": volume_id, "name": args.name, "description": args.description,
                      "incremental": args.incremental or None, "force": args.force or None})
    backup = session.post("/backups", {"backup": body})["backup"]
    if args.wait:
        backup = waiting.wait_settled(session, "backup", backup["id"], timeout_s=args.timeout)
    else:
        backup = session.get(f"/backups/{backup['id']}")["backup"]
    show(args, backup)


def backup_list(session: Session, args: argparse.Namespace) -> None:
    backups = session.get("/backups/detail", params={"progress": "true"}).get("backups", [])
    rows = [[b.get("id"), b.get("name"), b.get("status"), b.get("size"), b.get("volume_id"),
             "yes" if b.get("is_incremental") else "no", f"{b.get('progress', 0)}%"] for b in backups]
    table(args, backups, ["ID", "Name", "Status", "Size", "Volume ID", "Incremental", "Progress"], rows)


def backup_show(session: Session, args: argparse.Namespace) -> None:
    backup = find(session, "backup", args.backup)
    show(args, session.get(f"/backups/{backup['id']}", params={"progress": "true"})["backup"])


def backup_delete(session: Session, args: argparse.Namespace) -> None:
    backup = find(session, "backup", args.backup)
    session.delete(f"/backups/{backup['id']}")
    if not args.wait:
        confirm(args, f"Deletion of backup {label(backup)} accepted.")
        return
    waiting.wait_deleted(session, "backup", backup["id"], timeout_s=args.timeout)
    confirm(args, f"Backup {label(backup)} deleted.")


def backup_restore(session: Session, args: argparse.Namespace) -> None:
    backup = find(session, "backup", args.backup)
    volume_id = find(session, "volume", args.volume)["id"] if args.volume else None
    restored = session.post(f"/backups/{backup['id']}/restore",
                            {"restore": drop_none({"volume_id": volume_id, "name": args.name})})["restore"]
    if args.wait:
        waiting.wait_settled(session, "backup", backup["id"], timeout_s=args.timeout,
                             ready=lambda b: b.get("status") == "available")
        volume = waiting.wait_settled(session, "volume", restored["volume_id"], timeout_s=args.timeout)
        show(args, volume)
        return
    show(args, restored)
