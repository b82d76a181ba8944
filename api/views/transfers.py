"""Volume transfer bodies in Cinder's shape; the auth key only in the answer to the create."""

from __future__ import annotations

from typing import Any

from api import schema_types as t
from api.request import ApiCall
from api.views.common import iso, links
from db.records import Transfer

HISTORY_SINCE = 57  # source and destination project, accepted
NO_SNAPSHOTS_SINCE = 55
COLLECTION = "os-volume-transfer"

SUMMARY = t.obj({"id": t.STRING, "volume_id": t.STRING, "name": t.STRING_OR_NULL, "links": t.LINKS},
                required=["id", "volume_id", "name", "links"])
DETAIL = t.obj({**SUMMARY["properties"], "created_at": t.STRING, "no_snapshots": t.BOOL,
                "source_project_id": t.STRING, "destination_project_id": t.STRING_OR_NULL, "accepted": t.BOOL},
               required=[*SUMMARY["required"], "created_at"])
CREATED = t.obj({**DETAIL["properties"], "auth_key": t.STRING}, required=[*DETAIL["required"], "auth_key"])


def one(item: t.JsonSchema) -> t.JsonSchema:
    return t.obj({"transfer": item}, required=["transfer"])


def listing(item: t.JsonSchema) -> t.JsonSchema:
    return t.obj({"transfers": t.array(item), "transfers_links": t.LINKS}, required=["transfers"])


def summary(call: ApiCall, transfer: Transfer) -> dict[str, Any]:
    return {"id": transfer.id, "volume_id": transfer.volume_id, "name": transfer.name,
            "links": links(call, COLLECTION, transfer.id, project_id=transfer.source_project_id)}


def detail(call: ApiCall, transfer: Transfer) -> dict[str, Any]:
    body = {**summary(call, transfer), "created_at": iso(transfer.created_at)}
    if call.since(NO_SNAPSHOTS_SINCE):
        body["no_snapshots"] = transfer.no_snapshots
    if call.since(HISTORY_SINCE):
        body.update(source_project_id=transfer.source_project_id,
                    destination_project_id=transfer.destination_project_id, accepted=transfer.accepted)
    return body


def created(call: ApiCall, transfer: Transfer, auth_key: str) -> dict[str, Any]:
    return {**detail(call, transfer), "auth_key": auth_key}
