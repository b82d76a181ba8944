"""Snapshot bodies in Cinder's shape."""

from __future__ import annotations

from typing import Any

from api import schema_types as t
from api.policies import snapshots as rules
from api.request import ApiCall
from api.views.common import iso
from db.records import Snapshot

SUMMARY = t.obj({
    "id": t.STRING, "name": t.STRING_OR_NULL, "description": t.STRING_OR_NULL, "status": t.STRING,
    "size": t.INTEGER, "volume_id": t.STRING, "created_at": t.STRING, "updated_at": t.STRING_OR_NULL,
    "metadata": t.STRING_MAP,
}, required=["id", "name", "status", "size", "volume_id", "created_at", "metadata"])
DETAIL = t.obj({**SUMMARY["properties"],
                "os-extended-snapshot-attributes:progress": t.STRING,
                "os-extended-snapshot-attributes:project_id": t.STRING, "user_id": t.STRING},
               required=SUMMARY["required"])
ONE = t.obj({"snapshot": DETAIL}, required=["snapshot"])


def listing(item: t.JsonSchema) -> t.JsonSchema:
    return t.obj({"snapshots": t.array(item), "snapshots_links": t.LINKS, "count": t.INTEGER},
                 required=["snapshots"])


def summary(call: ApiCall, snapshot: Snapshot) -> dict[str, Any]:
    return {
        "id": snapshot.id,
        "name": snapshot.name,
        "description": snapshot.description,
        "status": snapshot.status,
        "size": snapshot.size_gb,
        "volume_id": snapshot.volume_id,
        "created_at": iso(snapshot.created_at),
        "updated_at": iso(snapshot.updated_at),
        "metadata": snapshot.metadata,
    }


def detail(call: ApiCall, snapshot: Snapshot, *, extended: bool = True) -> dict[str, Any]:
    """``extended``: with Cinder's os-extended-snapshot-attributes, which it adds to show and list only, not
    to create and update answers. No failure reason: Cinder has none (a failure's reason is a user message)."""
    body = summary(call, snapshot)
    if extended and call.allowed(rules.EXTENDED_ATTRIBUTES):
        body["os-extended-snapshot-attributes:progress"] = snapshot.progress
        body["os-extended-snapshot-attributes:project_id"] = snapshot.project_id
    if call.minor >= 41:
        body["user_id"] = snapshot.user_id
    if call.minor >= 65:
        body["consumes_quota"] = True
    return body
