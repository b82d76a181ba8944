"""ember snapshot ...: create, list, show and delete snapshots."""

from __future__ import annotations

import argparse

from client import waiting
from client.commands.common import (
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
from client.http import Session


def snapshot_create(session: Session, args: argparse.Namespace) -> None:
    volume_id = find(session, "volume", args.volume)["id"]
    body = drop_none({"volume_id": volume_id, "name": args.name, "description": args.description})
    snapshot = session.post("/snapshots", {"snapshot": body})["snapshot"]
    if args.wait:
        snapshot = waiting.wait_settled(session, "snapshot", snapshot["id"], timeout_s=args.timeout)
    show(args, snapshot)


def snapshot_list(session: Session, args: argparse.Namespace) -> None:
    snapshots = session.get("/snapshots/detail").get("snapshots", [])
    rows = [[s.get("id"), s.get("name"), s.get("description"), s.get("status"), s.get("size"),
             s.get("volume_id")] for s in snapshots]
    table(args, snapshots, ["ID", "Name", "Description", "Status", "Size", "Volume ID"], rows)


def snapshot_show(session: Session, args: argparse.Namespace) -> None:
    show(args, find(session, "snapshot", args.snapshot))


def snapshot_delete(session: Session, args: argparse.Namespace) -> None:
    snapshot = find(session, "snapshot", args.snapshot)
    session.delete(f"/snapshots/{snapshot['id']}")
    if not args.wait:
        confirm(args, f"Deletion of snapshot {label(snapshot)} accepted.")
        return
    waiting.wait_deleted(session, "snapshot", snapshot["id"], timeout_s=args.timeout)
    confirm(args, f"Snapshot {label(snapshot)} deleted.")


def snapshot_manage(session: Session, args: argparse.Namespace) -> None:
    volume_id = find(session, "volume", args.volume)["id"]
    body = drop_none({"volume_id": volume_id, "ref": manage_reference(args.ref, args.id_type), "name": args.name,
                      "description": args.description, "metadata": dict(args.property) or None})
    snapshot = session.post("/manageable_snapshots", {"snapshot": body})["snapshot"]
    if args.wait:
        snapshot = waiting.wait_settled(session, "snapshot", snapshot["id"], timeout_s=args.timeout)
    show(args, snapshot)


def snapshot_unmanage(session: Session, args: argparse.Namespace) -> None:
    unmanage(session, args, "snapshot", find(session, "snapshot", args.snapshot))


def snapshot_manageable_list(session: Session, args: argparse.Namespace) -> None:
    manageable_table(session, args, "snapshots")
