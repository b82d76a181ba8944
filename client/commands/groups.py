"""ember group-type / group / group-snapshot ...: generic volume groups, their types and their snapshots."""

from __future__ import annotations

import argparse

from client import waiting
from client.commands.common import confirm, drop_none, find, label, show, table
from client.http import Session

# -- group types ---------------------------------------------------------------------------------------


def group_type_create(session: Session, args: argparse.Namespace) -> None:
    body = drop_none({"name": args.name, "description": args.description, "is_public": not args.private,
                      "group_specs": dict(args.property) or None})
    show(args, session.post("/group_types", {"group_type": body})["group_type"])


def group_type_list(session: Session, args: argparse.Namespace) -> None:
    types = session.get("/group_types", params={"is_public": "None"} if args.all else {}).get("group_types", [])
    rows = [[g.get("id"), g.get("name"), g.get("description"), g.get("is_public"),
             ", ".join(f"{k}={v}" for k, v in sorted((g.get("group_specs") or {}).items()))] for g in types]
    table(args, types, ["ID", "Name", "Description", "Public", "Group specs"], rows)


def group_type_show(session: Session, args: argparse.Namespace) -> None:
    show(args, find(session, "group-type", args.group_type))


def group_type_set(session: Session, args: argparse.Namespace) -> None:
    gtype = find(session, "group-type", args.group_type)
    changes = drop_none({"name": args.name, "description": args.description})
    if changes:
        gtype = session.put(f"/group_types/{gtype['id']}", {"group_type": changes})["group_type"]
    if args.property:
        session.post(f"/group_types/{gtype['id']}/group_specs", {"group_specs": dict(args.property)})
    show(args, session.get(f"/group_types/{gtype['id']}")["group_type"])


def group_type_unset(session: Session, args: argparse.Namespace) -> None:
    gtype = find(session, "group-type", args.group_type)
    for key in args.property:
        session.delete(f"/group_types/{gtype['id']}/group_specs/{key}")
    show(args, session.get(f"/group_types/{gtype['id']}")["group_type"])


def group_type_delete(session: Session, args: argparse.Namespace) -> None:
    for ref in args.group_types:
        gtype = find(session, "group-type", ref)
        session.delete(f"/group_types/{gtype['id']}")
        confirm(args, f"Group type {label(gtype)} deleted.")


# -- groups --------------------------------------------------------------------------------------------

def group_create(session: Session, args: argparse.Namespace) -> None:
    if args.group_snapshot or args.source_group:
        source = drop_none({
            "group_snapshot_id": find(session, "group-snapshot", args.group_snapshot)["id"] if args.group_snapshot
            else None,
            "source_group_id": find(session, "group", args.source_group)["id"] if args.source_group else None,
            "name": args.name, "description": args.description})
        group = session.post("/groups/action", {"create-from-src": source})["group"]
    else:
        if not args.group_type or not args.volume_type:
            raise SystemExit("ember group create: give --group-type and --volume-type (or --group-snapshot or "
                             "--source-group)")
        body = drop_none({"group_type": find(session, "group-type", args.group_type)["id"],
                          "volume_types": [find(session, "type", t)["id"] for t in args.volume_type],
                          "name": args.name, "description": args.description,
                          "availability_zone": args.availability_zone})
        group = session.post("/groups", {"group": body})["group"]
    if args.wait:
        group = waiting.wait_settled(session, "group", group["id"], timeout_s=args.timeout)
        for volume_id in session.get(f"/groups/{group['id']}", params={"list_volume": "True"})["group"].get(
                "volumes", []):
            waiting.wait_settled(session, "volume", volume_id, timeout_s=args.timeout)
    show(args, session.get(f"/groups/{group['id']}", params={"list_volume": "True"})["group"])


def group_list(session: Session, args: argparse.Namespace) -> None:
    params = {"all_tenants": "True"} if args.all_projects else {}
    groups = session.get("/groups/detail", params=params).get("groups", [])
    rows = [[g.get("id"), g.get("name"), g.get("status"), g.get("group_type"), ", ".join(g.get("volume_types", []))]
            for g in groups]
    table(args, groups, ["ID", "Name", "Status", "Group type", "Volume types"], rows)


def group_show(session: Session, args: argparse.Namespace) -> None:
    group = find(session, "group", args.group)
    show(args, session.get(f"/groups/{group['id']}", params={"list_volume": "True"})["group"])


def group_update(session: Session, args: argparse.Namespace) -> None:
    group = find(session, "group", args.group)
    body = drop_none({
        "name": args.name, "description": args.description,
        "add_volumes": ",".join(find(session, "volume", v)["id"] for v in args.add_volume) or None,
        "remove_volumes": ",".join(find(session, "volume", v)["id"] for v in args.remove_volume) or None})
    session.put(f"/groups/{group['id']}", {"group": body})
    show(args, session.get(f"/groups/{group['id']}", params={"list_volume": "True"})["group"])


def group_delete(session: Session, args: argparse.Namespace) -> None:
    for ref in args.groups:
        group = find(session, "group", ref)
        session.post(f"/groups/{group['id']}/action", {"delete": {"delete-volumes": args.delete_volumes}})
        if args.wait:
            waiting.wait_deleted(session, "group", group["id"], timeout_s=args.timeout)
            confirm(args, f"Group {label(group)} deleted.")
        else:
            confirm(args, f"Deletion of group {label(group)} accepted.")


# -- group snapshots -----------------------------------------------------------------------------------

def group_snapshot_create(session: Session, args: argparse.Namespace) -> None:
    group = find(session, "group", args.group)
    body = drop_none({"group_id": group["id"], "name": args.name, "description": args.description})
    made = session.post("/group_snapshots", {"group_snapshot": body})["group_snapshot"]
    if args.wait:
        waiting.wait_settled(session, "group_snapshot", made["id"], timeout_s=args.timeout,
                             ready=lambda g: g.get("status") == "available")
    show(args, session.get(f"/group_snapshots/{made['id']}")["group_snapshot"])


def group_snapshot_list(session: Session, args: argparse.Namespace) -> None:
    snapshots = session.get("/group_snapshots/detail").get("group_snapshots", [])
    rows = [[g.get("id"), g.get("name"), g.get("status"), g.get("group_id")] for g in snapshots]
    table(args, snapshots, ["ID", "Name", "Status", "Group ID"], rows)


def group_snapshot_show(session: Session, args: argparse.Namespace) -> None:
    show(args, find(session, "group-snapshot", args.group_snapshot))


def group_snapshot_delete(session: Session, args: argparse.Namespace) -> None:
    made = find(session, "group-snapshot", args.group_snapshot)
    session.delete(f"/group_snapshots/{made['id']}")
    if not args.wait:
        confirm(args, f"Deletion of group snapshot {label(made)} accepted.")
        return
    waiting.wait_deleted(session, "group_snapshot", made["id"], timeout_s=args.timeout)
    confirm(args, f"Group snapshot {label(made)} deleted.")
