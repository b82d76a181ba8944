"""What every command handler shares: finding a resource by name or ID, and printing it."""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from client import output, waiting
from client.http import ApiFault, ClientError, Session

_UUID = re.compile(r"^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$", re.IGNORECASE)

Resource = dict[str, Any]

# kind -> (show path, show key, list path, list key, what to call it)
_KINDS: dict[str, tuple[str, str, str, str, str]] = {
    "volume": ("/volumes", "volume", "/volumes/detail", "volumes", "volume"),
    "snapshot": ("/snapshots", "snapshot", "/snapshots/detail", "snapshots", "snapshot"),
    "type": ("/types", "volume_type", "/types", "volume_types", "volume type"),
    "backup": ("/backups", "backup", "/backups/detail", "backups", "backup"),
    "qos": ("/qos-specs", "qos_specs", "/qos-specs", "qos_specs", "QoS spec"),
    "group": ("/groups", "group", "/groups/detail", "groups", "group"),
    "group-type": ("/group_types", "group_type", "/group_types", "group_types", "group type"),
    "group-snapshot": ("/group_snapshots", "group_snapshot", "/group_snapshots/detail", "group_snapshots",
                       "group snapshot"),
}


def find(session: Session, kind: str, ref: str) -> Resource:
    """The volume, snapshot, type, backup or QoS spec whose id or unique name is ``ref``; ClientError if none or several."""
    show_path, show_key, list_path, list_key, label = _KINDS[kind]
    if _UUID.match(ref):
        try:
            resource: Resource = session.get(f"{show_path}/{ref}")[show_key]
            return resource
        except ApiFault as fault:
            if fault.code != 404:
                raise
    params = {} if kind in ("type", "group-type") else {"name": ref}
    listed = session.get(list_path, params=params).get(list_key, [])
    matches = [item for item in listed if item.get("name") == ref]
    if not matches:
        raise ClientError(f"no {label} with a name or ID of '{ref}' exists; see `ember {kind} list`.")
    if len(matches) > 1:
        raise ClientError(f"{len(matches)} {label}s are named '{ref}'; use the ID instead "
                          f"(see `ember {kind} list`).")
    return dict(matches[0])


def label(resource: Mapping[str, Any]) -> str:
    """How a message names a resource: its name and id, or the id alone."""
    name, resource_id = resource.get("name"), resource.get("id")
    return f"'{name}' ({resource_id})" if name else str(resource_id)


def confirm(args: argparse.Namespace, message: str) -> None:
    output.confirm(message, as_json=args.json)


def drop_none(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def show(args: argparse.Namespace, record: Mapping[str, Any]) -> None:
    if args.json:
        output.print_json(record)
    else:
        output.print_record(record)


def table(args: argparse.Namespace, raw: Any, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    if args.json:
        output.print_json(raw)
    else:
        output.print_rows(headers, list(rows))


def manage_reference(ref: str, id_type: str) -> dict[str, str]:
    """A manage request's ``ref``: the name on the storage (source-name), or ember's id of it (source-id)."""
    return {id_type: ref}


def manageable_table(session: Session, args: argparse.Namespace, kind: str) -> None:
    """``GET /manageable_<kind>/detail?host=...``: what the backend holds that could be managed."""
    key = f"manageable-{kind}"
    listed = session.get(f"/manageable_{kind}/detail", params={"host": args.host}).get(key, [])
    headers = ["Reference", "Size", "Safe to manage", "Reason not safe", "ID"]
    if kind == "snapshots":
        headers.append("Source reference")
    rows = []
    for item in listed:
        row = [(item.get("reference") or {}).get("source-name"), item.get("size"), item.get("safe_to_manage"),
               item.get("reason_not_safe"), item.get("cinder_id")]
        if kind == "snapshots":
            row.append((item.get("source_reference") or {}).get("source-name"))
        rows.append(row)
    table(args, listed, headers, rows)


def unmanage(session: Session, args: argparse.Namespace, kind: str, resource: Resource) -> None:
    """os-unmanage of a volume or snapshot: ember forgets it, its data stays on the storage."""
    session.post(f"/{kind}s/{resource['id']}/action", {"os-unmanage": {}})
    if not args.wait:
        confirm(args, f"Unmanage of {kind} {label(resource)} accepted; its data stays on the storage.")
        return
    waiting.wait_deleted(session, kind, resource["id"], timeout_s=args.timeout)
    confirm(args, f"{kind.capitalize()} {label(resource)} unmanaged; its data stays on the storage.")
