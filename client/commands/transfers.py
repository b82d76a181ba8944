"""ember transfer ... and ember volume revert/read-only: hand a volume to another project, roll it back to its
newest snapshot, or mark it read-only."""

from __future__ import annotations

import argparse
from typing import Any

from client import waiting
from client.commands.common import confirm, drop_none, find, label, show, table
from client.http import ClientError, Session


def _find_transfer(session: Session, ref: str) -> dict[str, Any]:
    """A transfer by id or unique name (transfers live outside ``common.find``'s kinds: no name filter)."""
    transfers = session.get("/volume-transfers/detail").get("transfers", [])
    matches = [t for t in transfers if ref in (t.get("id"), t.get("name"))]
    if not matches:
        raise ClientError(f"no transfer with a name or ID of '{ref}' exists; see `ember transfer list`.")
    if len(matches) > 1:
        raise ClientError(f"{len(matches)} transfers are named '{ref}'; use the ID instead.")
    return dict(matches[0])


def transfer_create(session: Session, args: argparse.Namespace) -> None:
    volume = find(session, "volume", args.volume)
    body = drop_none({"volume_id": volume["id"], "name": args.name,
                      "no_snapshots": True if args.no_snapshots else None})
    transfer = session.post("/volume-transfers", {"transfer": body})["transfer"]
    show(args, transfer)
    if not args.json:
        confirm(args, "Give the receiving project the id and the auth_key: the key is shown only this once.")


def transfer_accept(session: Session, args: argparse.Namespace) -> None:
    accepted = session.post(f"/volume-transfers/{args.transfer}/accept",
                            {"accept": {"auth_key": args.auth_key}})["transfer"]
    show(args, accepted)


def transfer_list(session: Session, args: argparse.Namespace) -> None:
    params = {"all_tenants": 1} if args.all_projects else None
    transfers = session.get("/volume-transfers/detail", params=params).get("transfers", [])
    rows = [[t.get("id"), t.get("name"), t.get("volume_id"), t.get("created_at")] for t in transfers]
    table(args, transfers, ["ID", "Name", "Volume ID", "Created at"], rows)


def transfer_show(session: Session, args: argparse.Namespace) -> None:
    show(args, _find_transfer(session, args.transfer))


def transfer_delete(session: Session, args: argparse.Namespace) -> None:
    transfer = _find_transfer(session, args.transfer)
    session.delete(f"/volume-transfers/{transfer['id']}")
    confirm(args, f"Transfer {label(transfer)} deleted; volume {transfer.get('volume_id')} stays with its project.")


def volume_revert(session: Session, args: argparse.Namespace) -> None:
    volume = find(session, "volume", args.volume)
    snapshot = find(session, "snapshot", args.snapshot)
    session.post(f"/volumes/{volume['id']}/action", {"revert": {"snapshot_id": snapshot["id"]}})
    if not args.wait:
        confirm(args, f"Revert of volume {label(volume)} to snapshot {label(snapshot)} accepted.")
        return
    show(args, waiting.wait_settled(session, "volume", volume["id"], timeout_s=args.timeout))


def volume_read_only(session: Session, args: argparse.Namespace) -> None:
    volume = find(session, "volume", args.volume)
    read_only = args.state == "on"
    session.post(f"/volumes/{volume['id']}/action", {"os-update_readonly_flag": {"readonly": read_only}})
    confirm(args, f"Volume {label(volume)} is {'read-only' if read_only else 'read-write'} for new attachments.")


def add_commands(command: Any) -> None:
    """Register the commands with ``cli._Builder.command``."""
    p = command("transfer create", transfer_create, "Offer a volume to another project (prints the auth key once).")
    p.add_argument("volume", metavar="VOLUME")
    p.add_argument("--name")
    p.add_argument("--no-snapshots", action="store_true", help="leave the volume's snapshots out (they must be "
                   "deleted first)")
    p = command("transfer accept", transfer_accept, "Take a volume offered to this project.")
    p.add_argument("transfer", metavar="TRANSFER_ID")
    p.add_argument("auth_key", metavar="AUTH_KEY")
    command("transfer list", transfer_list, "List pending transfers.").add_argument(
        "--all-projects", action="store_true")
    command("transfer show", transfer_show, "Show a pending transfer.").add_argument("transfer", metavar="TRANSFER")
    command("transfer delete", transfer_delete, "Withdraw a pending transfer.").add_argument(
        "transfer", metavar="TRANSFER")
    p = command("volume revert", volume_revert, "Roll a volume back to its newest snapshot.", wait=True)
    p.add_argument("volume", metavar="VOLUME")
    p.add_argument("--snapshot", required=True, metavar="SNAPSHOT", help="the volume's newest snapshot")
    p = command("volume read-only", volume_read_only, "Mark a volume read-only (on) or read-write (off).")
    p.add_argument("volume", metavar="VOLUME")
    p.add_argument("state", choices=["on", "off"])
