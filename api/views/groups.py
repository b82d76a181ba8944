"""Group type and group bodies in Cinder's shape, with the fields later microversions add."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from api import schema_types as t
from api.policies import groups as rules
from api.request import ApiCall
from api.views.common import iso
from db.records import Group, GroupType

SOURCES_SINCE = 14       # group_snapshot_id and source_group_id
VOLUME_LIST_SINCE = 25   # ?list_volume=True
REPLICATION_SINCE = 38   # replication_status
PROJECT_ID_SINCE = 58    # project_id, for those the rule lets see it

GROUP_TYPE = t.obj({"id": t.STRING, "name": t.STRING, "description": t.STRING_OR_NULL, "is_public": t.BOOL,
                    "group_specs": t.STRING_MAP}, required=["id", "name", "description", "is_public"])
GROUP_TYPE_ONE = t.obj({"group_type": GROUP_TYPE}, required=["group_type"])
GROUP_TYPE_LIST = t.obj({"group_types": t.array(GROUP_TYPE), "group_type_links": t.LINKS}, required=["group_types"])
GROUP_SPECS = t.obj({"group_specs": t.STRING_MAP}, required=["group_specs"])

SUMMARY = t.obj({"id": t.STRING, "name": t.STRING_OR_NULL}, required=["id", "name"])
DETAIL = t.obj({
    **SUMMARY["properties"], "status": t.STRING, "description": t.STRING_OR_NULL, "availability_zone": t.STRING,
    "created_at": t.STRING, "group_type": t.STRING, "volume_types": t.array(t.STRING),
    "group_snapshot_id": t.STRING_OR_NULL, "source_group_id": t.STRING_OR_NULL, "volumes": t.array(t.STRING),
    "replication_status": t.STRING_OR_NULL, "project_id": t.STRING,
}, required=["id", "name", "status", "description", "created_at", "group_type", "volume_types"])
ONE_SUMMARY = t.obj({"group": SUMMARY}, required=["group"])
ONE = t.obj({"group": DETAIL}, required=["group"])


def listing(item: t.JsonSchema) -> t.JsonSchema:
    return t.obj({"groups": t.array(item), "group_links": t.LINKS}, required=["groups"])


def group_type(call: ApiCall, gtype: GroupType) -> dict[str, Any]:
    body: dict[str, Any] = {"id": gtype.id, "name": gtype.name, "description": gtype.description,
                            "is_public": gtype.is_public}
    if call.allowed(rules.TYPE_SPECS_ATTRIBUTE):
        body["group_specs"] = dict(gtype.group_specs)
    return body


def summary(call: ApiCall, group: Group) -> dict[str, Any]:
    return {"id": group.id, "name": group.name}


def detail(call: ApiCall, group: Group, *, volume_ids: Sequence[str] | None = None) -> dict[str, Any]:
    """``volume_ids``: the group's volumes, listed (from 3.25) when the caller asked with list_volume."""
    body: dict[str, Any] = {
        "id": group.id, "name": group.name, "status": group.status, "description": group.description,
        "availability_zone": group.availability_zone, "created_at": iso(group.created_at),
        "group_type": group.group_type_id, "volume_types": list(group.volume_type_ids),
    }
    if call.since(SOURCES_SINCE):
        body["group_snapshot_id"] = group.group_snapshot_id
        body["source_group_id"] = group.source_group_id
    if call.since(VOLUME_LIST_SINCE) and volume_ids is not None:
        body["volumes"] = list(volume_ids)
    if call.since(REPLICATION_SINCE):
        body["replication_status"] = "disabled"
    if call.since(PROJECT_ID_SINCE) and call.allowed(rules.PROJECT_ATTRIBUTE):
        body["project_id"] = group.project_id
    return body
