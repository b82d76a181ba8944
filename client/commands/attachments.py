"""ember volume attach/detach and ember attachment ...: connect a volume to a host the way Nova does.

``volume attach`` is for operators testing a host: it reserves, connects with the host's
connector (its initiator name for iSCSI) and completes, then prints the connection_info that
host would use, its CHAP secret masked unless --show-secrets is given.
"""

from __future__ import annotations

import argparse
import socket
from collections.abc import Mapping
from typing import Any

from client.commands.common import confirm, drop_none, find, label, show, table
from client.http import ClientError, Session

MASK = "********"
SECRET_KEYS = frozenset({"auth_password", "discovery_auth_password"})


def masked(attachment: Mapping[str, Any], *, reveal: bool) -> dict[str, Any]:
    shown = dict(attachment)
    info = shown.get("connection_info")
    if isinstance(info, dict) and not reveal:
        shown["connection_info"] = _without_secrets(info)
    return shown


def _without_secrets(info: Mapping[str, Any]) -> dict[str, Any]:
    """The secrets masked, at the top (the attachments API's flat connection_info) and in ``data``."""
    shown: dict[str, Any] = {k: (MASK if k in SECRET_KEYS and v else v) for k, v in info.items()}
    data = shown.get("data")
    if isinstance(data, dict):
        shown["data"] = _without_secrets(data)
    return shown


def volume_attach(session: Session, args: argparse.Namespace) -> None:
    volume = find(session, "volume", args.volume)
    connector = drop_none({"host": args.host, "initiator": args.initiator, "ip": args.ip,
                           "mountpoint": args.mountpoint, "platform": "x86_64", "os_type": "linux",
                           "multipath": False})
    body = drop_none({"volume_uuid": volume["id"], "instance_uuid": args.server, "connector": connector,
                      "mode": args.mode})
    attachment = session.post("/attachments", {"attachment": body})["attachment"]
    session.post(f"/attachments/{attachment['id']}/action", {"os-complete": {}})
    attachment = session.get(f"/attachments/{attachment['id']}")["attachment"]
    show(args, masked(attachment, reveal=args.show_secrets))


def volume_detach(session: Session, args: argparse.Namespace) -> None:
    volume = find(session, "volume", args.volume)
    attachments = session.get("/attachments", params={"volume_id": volume["id"]}).get("attachments", [])
    if args.attachment:
        attachments = [a for a in attachments if a["id"] == args.attachment]
    if not attachments:
        raise ClientError(f"volume {label(volume)} has no attachment to detach"
                          + (f" with ID {args.attachment}" if args.attachment else "") + ".")
    if len(attachments) > 1:
        raise ClientError(f"volume {label(volume)} has {len(attachments)} attachments; say which with "
                          "--attachment (see `ember attachment list --volume ...`).")
    session.delete(f"/attachments/{attachments[0]['id']}")
    confirm(args, f"Volume {label(volume)} detached (attachment {attachments[0]['id']}).")


def attachment_list(session: Session, args: argparse.Namespace) -> None:
    params: dict[str, str | int] = drop_none({"status": args.status, "instance_id": args.server,
                                              "all_tenants": 1 if args.all_projects else None})
    if args.volume:
        params["volume_id"] = find(session, "volume", args.volume)["id"]
    attachments = session.get("/attachments/detail", params=params).get("attachments", [])
    rows = [[a.get("id"), a.get("volume_id"), a.get("instance"), a.get("status"), a.get("attach_mode"),
             (a.get("connection_info") or {}).get("driver_volume_type"), a.get("attached_at")] for a in attachments]
    table(args, [masked(a, reveal=False) for a in attachments],
          ["ID", "Volume", "Server", "Status", "Mode", "Protocol", "Attached at"], rows)


def attachment_show(session: Session, args: argparse.Namespace) -> None:
    attachment = session.get(f"/attachments/{args.attachment}")["attachment"]
    show(args, masked(attachment, reveal=args.show_secrets))


def attachment_delete(session: Session, args: argparse.Namespace) -> None:
    session.delete(f"/attachments/{args.attachment}")
    confirm(args, f"Attachment {args.attachment} deleted.")


def add_commands(command: Any) -> None:
    """Register the commands with ``cli._Builder.command``."""
    p = command("volume attach", volume_attach, "Attach a volume to a host (as Nova does) and print its "
                "connection_info.")
    p.add_argument("volume", metavar="VOLUME")
    p.add_argument("--host", default=socket.gethostname(), help="the host's name (default: this host)")
    p.add_argument("--initiator", metavar="IQN", help="the host's iSCSI initiator name (needed for iSCSI)")
    p.add_argument("--ip", help="the host's address")
    p.add_argument("--mountpoint", metavar="DEVICE", help="e.g. /dev/vdb")
    p.add_argument("--server", metavar="SERVER_ID", help="the server (instance) the attachment is for")
    p.add_argument("--mode", choices=["rw", "ro"])
    p.add_argument("--show-secrets", action="store_true", help="print the CHAP secret instead of masking it")
    p = command("volume detach", volume_detach, "Detach a volume: end its connection and delete the attachment.")
    p.add_argument("volume", metavar="VOLUME")
    p.add_argument("--attachment", metavar="ATTACHMENT_ID", help="which one, when the volume has several")
    p = command("attachment list", attachment_list, "List attachments.")
    p.add_argument("--volume", metavar="VOLUME")
    p.add_argument("--server", metavar="SERVER_ID")
    p.add_argument("--status")
    p.add_argument("--all-projects", action="store_true")
    p = command("attachment show", attachment_show, "Show an attachment and its connection_info.")
    p.add_argument("attachment", metavar="ATTACHMENT_ID")
    p.add_argument("--show-secrets", action="store_true", help="print the CHAP secret instead of masking it")
    command("attachment delete", attachment_delete, "Delete (detach) an attachment.").add_argument(
        "attachment", metavar="ATTACHMENT_ID")
