"""The project's own accounts: ember limits show, quota show/set, quota-class show/set, default-type
set/show/unset/list and message list."""

from __future__ import annotations

import argparse
from collections.abc import Mapping

from client.commands.common import confirm, drop_none, show, table
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


QUOTA_KEYS = ("volumes", "snapshots", "gigabytes", "backups", "backup_gigabytes", "per_volume_gigabytes", "groups")
TYPED_KEYS = ("volumes", "snapshots", "gigabytes")


def _quota_changes(args: argparse.Namespace) -> dict[str, int]:
    """The limits asked for; with --type, --volumes/--snapshots/--gigabytes are that type's own keys."""
    changes = drop_none({key: getattr(args, key) for key in QUOTA_KEYS})
    if args.type:
        other = sorted(set(changes) - set(TYPED_KEYS))
        if other:
            raise ClientError(f"--type limits only --volumes, --snapshots and --gigabytes, not {', '.join(other)}.")
        changes = {f"{key}_{args.type}": value for key, value in changes.items()}
    if not changes:
        raise ClientError("nothing to change: give --volumes, --snapshots, --gigabytes, --backups, "
                          "--backup-gigabytes, --per-volume-gigabytes or --groups (-1 is unlimited).")
    return changes


def quota_set(session: Session, args: argparse.Namespace) -> None:
    changes = _quota_changes(args)
    session.put(f"/os-quota-sets/{args.project}", {"quota_set": changes})
    confirm(args, f"Quotas of project {args.project} set: {', '.join(f'{k}={v}' for k, v in changes.items())}.")


def quota_class_show(session: Session, args: argparse.Namespace) -> None:
    limits = session.get(f"/os-quota-class-sets/{args.quota_class}").get("quota_class_set", {})
    table(args, limits, ["Resource", "Limit"], [[k, limits[k]] for k in sorted(limits) if k != "id"])


def quota_class_set(session: Session, args: argparse.Namespace) -> None:
    changes = _quota_changes(args)
    session.put(f"/os-quota-class-sets/{args.quota_class}", {"quota_class_set": changes})
    confirm(args, f"Quota class {args.quota_class} set: {', '.join(f'{k}={v}' for k, v in changes.items())}.")


def _type_names(session: Session) -> dict[str, str]:
    return {t["id"]: t.get("name") for t in session.get("/types").get("volume_types", [])}


def default_type_set(session: Session, args: argparse.Namespace) -> None:
    chosen = session.put(f"/default-types/{args.project}", {"default_type": {"volume_type": args.type}})
    type_id = (chosen.get("default_type") or {}).get("volume_type_id")
    confirm(args, f"Project {args.project} now gets volume type {args.type} ({type_id}) when none is asked for.")


def default_type_show(session: Session, args: argparse.Namespace) -> None:
    project = args.project or session.project_id
    chosen = session.get(f"/default-types/{project}").get("default_type", {})
    chosen = {**chosen, "volume_type_name": _type_names(session).get(chosen.get("volume_type_id", ""))}
    show(args, chosen)


def default_type_unset(session: Session, args: argparse.Namespace) -> None:
    session.delete(f"/default-types/{args.project}")
    confirm(args, f"Project {args.project} gets the configured default volume type again.")


def default_type_list(session: Session, args: argparse.Namespace) -> None:
    listed = session.get("/default-types").get("default_types", [])
    names = _type_names(session)
    table(args, listed, ["Project", "Volume Type ID", "Volume Type"],
          [[d.get("project_id"), d.get("volume_type_id"), names.get(d.get("volume_type_id", ""))] for d in listed])


def message_list(session: Session, args: argparse.Namespace) -> None:
    messages = session.get("/messages").get("messages", [])
    rows = [[m.get("id"), m.get("resource_type"), m.get("resource_uuid"), m.get("event_id"),
             m.get("user_message"), m.get("created_at")] for m in messages]
    table(args, messages, ["ID", "Resource Type", "Resource ID", "Event ID", "User Message", "Created At"], rows)
