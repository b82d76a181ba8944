"""The project's own accounts: ember limits show, quota show/set and message list."""

from __future__ import annotations

import argparse
from collections.abc import Mapping

from client.commands.common import confirm, drop_none, table
from client.http import ClientError, Session


def limits_show(session: Session, args: argparse.Namespace) -> None:
    limits = session.get("/limits").get("limits", {})
    absolute = limits.get("absolute", {})
    table(args, limits, ["Name", "Value"], [[k, absolute[k]] for k in sorted(absolute)])


def quota_show(session: Session, args: argparse.Namespace) -> None:
    project = args.project or session.project_id
    quota = session.get(f"/os-quota-sets/{project}", params={"usage": "true"}).get("quota_set", {})
    rows = []
    for key in sorted(k for k in quota if k != "id"):
        value = quota[key]
        if isinstance(value, Mapping):
            rows.append([key, value.get("limit"), value.get("in_use"), value.get("reserved")])
        else:
            rows.append([key, value, None, None])
    table(args, quota, ["Resource", "Limit", "In Use", "Reserved"], rows)


def quota_set(session: Session, args: argparse.Namespace) -> None:
    changes = drop_none({"volumes": args.volumes, "snapshots": args.snapshots, "gigabytes": args.gigabytes})
    if not changes:
        raise ClientError("nothing to change: give --volumes, --snapshots or --gigabytes (-1 is unlimited).")
    session.put(f"/os-quota-sets/{args.project}", {"quota_set": changes})
    confirm(args, f"Quotas of project {args.project} set: {', '.join(f'{k}={v}' for k, v in changes.items())}.")


def message_list(session: Session, args: argparse.Namespace) -> None:
    messages = session.get("/messages").get("messages", [])
    rows = [[m.get("id"), m.get("resource_type"), m.get("resource_uuid"), m.get("event_id"),
             m.get("user_message"), m.get("created_at")] for m in messages]
    table(args, messages, ["ID", "Resource Type", "Resource ID", "Event ID", "User Message", "Created At"], rows)
