"""ember type ...: volume types and their extra specs."""

from __future__ import annotations

import argparse

from client.commands.common import drop_none, find, show, table
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
    type_id = find(session, "type", args.type)["id"]
    session.post(f"/types/{type_id}/extra_specs", {"extra_specs": dict(args.property)})


def type_unset(session: Session, args: argparse.Namespace) -> None:
    type_id = find(session, "type", args.type)["id"]
    for key in args.property:
        session.delete(f"/types/{type_id}/extra_specs/{key}")


def type_delete(session: Session, args: argparse.Namespace) -> None:
    session.delete(f"/types/{find(session, 'type', args.type)['id']}")
