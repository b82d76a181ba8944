"""ember type ...: volume types and their extra specs."""

from __future__ import annotations

import argparse

from client.commands.common import confirm, drop_none, find, label, show, table
from client.http import Session


def type_create(session: Session, args: argparse.Namespace) -> None:
    body = drop_none({"name": args.name, "description": args.description,
                      "os-volume-type-access:is_public": not args.private,
                      "extra_specs": dict(args.property) or None})
    show(args, session.post("/types", {"volume_type": body})["volume_type"])


def type_list(session: Session, args: argparse.Namespace) -> None:
    types = session.get("/types").get("volume_types", [])
    rows = [[t.get("id"), t.get("name"), t.get("is_public", t.get("os-volume-type-access:is_public")),
             t.get("description"), t.get("extra_specs")] for t in types]
    table(args, types, ["ID", "Name", "Is Public", "Description", "Properties"], rows)


def type_show(session: Session, args: argparse.Namespace) -> None:
    show(args, find(session, "type", args.type))


def type_set(session: Session, args: argparse.Namespace) -> None:
    volume_type = find(session, "type", args.type)
    session.post(f"/types/{volume_type['id']}/extra_specs", {"extra_specs": dict(args.property)})
    confirm(args, f"Volume type {label(volume_type)}: set {', '.join(f'{k}={v}' for k, v in args.property)}.")


def type_unset(session: Session, args: argparse.Namespace) -> None:
    volume_type = find(session, "type", args.type)
    for key in args.property:
        session.delete(f"/types/{volume_type['id']}/extra_specs/{key}")
    confirm(args, f"Volume type {label(volume_type)}: removed {', '.join(args.property)}.")


def type_delete(session: Session, args: argparse.Namespace) -> None:
    volume_type = find(session, "type", args.type)
    session.delete(f"/types/{volume_type['id']}")
    confirm(args, f"Volume type {label(volume_type)} deleted.")
