"""Group snapshot bodies in Cinder's shape (the summary keeps Cinder's group_type_id)."""

from __future__ import annotations

from typing import Any

from api import schema_types as t
from api.policies import groups as rules
from api.request import ApiCall
from api.views.common import iso
from db.records import GroupSnapshot

PROJECT_ID_SINCE = 58

SUMMARY = t.obj({"id": t.STRING, "name": t.STRING_OR_NULL, "group_type_id": t.STRING},
                required=["id", "name", "group_type_id"])
DETAIL = t.obj({**SUMMARY["properties"], "group_id": t.STRING, "status": t.STRING, "created_at": t.STRING,
                "description": t.STRING_OR_NULL, "project_id": t.STRING},
               required=["id", "name", "group_type_id", "group_id", "status", "created_at", "description"])
ONE_SUMMARY = t.obj({"group_snapshot": SUMMARY}, required=["group_snapshot"])
ONE = t.obj({"group_snapshot": DETAIL}, required=["group_snapshot"])


def listing(item: t.JsonSchema) -> t.JsonSchema:
    return t.obj({"group_snapshots": t.array(item), "group_snapshots_links": t.LINKS}, required=["group_snapshots"])


def summary(call: ApiCall, group_snapshot: GroupSnapshot) -> dict[str, Any]:
    return {"id": group_snapshot.id, "name": group_snapshot.name, "group_type_id": group_snapshot.group_type_id}


def detail(call: ApiCall, group_snapshot: GroupSnapshot) -> dict[str, Any]:
    body = {**summary(call, group_snapshot), "group_id": group_snapshot.group_id, "status": group_snapshot.status,
            "created_at": iso(group_snapshot.created_at), "description": group_snapshot.description}
    if call.since(PROJECT_ID_SINCE) and call.allowed(rules.SNAPSHOT_PROJECT_ATTRIBUTE):
        body["project_id"] = group_snapshot.project_id
    return body
