"""ember qos ...: QoS specs and the volume types they are associated with (admin only)."""

from __future__ import annotations

import argparse

from client.commands.common import confirm, find, label, show, table
from client.http import ClientError, Session


def qos_create(session: Session, args: argparse.Namespace) -> None:
    body = {"name": args.name, "consumer": args.consumer, **dict(args.property)}
    show(args, session.post("/qos-specs", {"qos_specs": body})["qos_specs"])


def qos_list(session: Session, args: argparse.Namespace) -> None:
    specs = session.get("/qos-specs").get("qos_specs", [])
    rows = [[q.get("id"), q.get("name"), q.get("consumer"), q.get("specs")] for q in specs]
    table(args, specs, ["ID", "Name", "Consumer", "Properties"], rows)


def qos_show(session: Session, args: argparse.Namespace) -> None:
    qos = find(session, "qos", args.qos)
    associations = session.get(f"/qos-specs/{qos['id']}/associations").get("qos_associations", [])
    show(args, {**qos, "associations": [a.get("name") for a in associations]})


def qos_set(session: Session, args: argparse.Namespace) -> None:
    qos = find(session, "qos", args.qos)
    session.put(f"/qos-specs/{qos['id']}", {"qos_specs": dict(args.property)})
    confirm(args, f"QoS spec {label(qos)}: set {', '.join(f'{k}={v}' for k, v in args.property)}.")


def qos_unset(session: Session, args: argparse.Namespace) -> None:
    qos = find(session, "qos", args.qos)
    session.put(f"/qos-specs/{qos['id']}/delete_keys", {"keys": args.property})
    confirm(args, f"QoS spec {label(qos)}: removed {', '.join(args.property)}.")


def qos_delete(session: Session, args: argparse.Namespace) -> None:
    qos = find(session, "qos", args.qos)
    session.delete(f"/qos-specs/{qos['id']}?force={args.force}")
    confirm(args, f"QoS spec {label(qos)} deleted.")


def qos_associate(session: Session, args: argparse.Namespace) -> None:
    qos = find(session, "qos", args.qos)
    volume_type = find(session, "type", args.type)
    session.get(f"/qos-specs/{qos['id']}/associate", params={"vol_type_id": volume_type["id"]})
    confirm(args, f"QoS spec {label(qos)} associated with volume type {label(volume_type)}.")


def qos_disassociate(session: Session, args: argparse.Namespace) -> None:
    qos = find(session, "qos", args.qos)
    if args.all == (args.type is not None):
        raise ClientError("name a volume type, or give --all (not both).")
    if args.all:
        session.get(f"/qos-specs/{qos['id']}/disassociate_all")
        confirm(args, f"QoS spec {label(qos)} disassociated from every volume type.")
        return
    volume_type = find(session, "type", args.type)
    session.get(f"/qos-specs/{qos['id']}/disassociate", params={"vol_type_id": volume_type["id"]})
    confirm(args, f"QoS spec {label(qos)} disassociated from volume type {label(volume_type)}.")
