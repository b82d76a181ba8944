"""Backup bodies in Cinder's shape; ``progress`` (percent, while an operation runs) only when asked for, as
Cinder's clients and Tempest refuse fields Cinder does not send."""

from __future__ import annotations

from typing import Any

from api import schema_types as t
from api.policies import backups as rules
from api.request import ApiCall
from api.views.common import iso, links
from db.records import Backup

SUMMARY = t.obj({"id": t.STRING, "name": t.STRING_OR_NULL, "links": t.LINKS}, required=["id", "name", "links"])
DETAIL = t.obj({
    **SUMMARY["properties"], "description": t.STRING_OR_NULL, "status": t.STRING, "size": t.INTEGER,
    "volume_id": t.STRING, "snapshot_id": t.STRING_OR_NULL, "availability_zone": t.STRING_OR_NULL,
    "container": t.STRING_OR_NULL, "created_at": t.STRING, "updated_at": t.STRING_OR_NULL,
    "data_timestamp": t.STRING_OR_NULL, "fail_reason": t.STRING_OR_NULL, "object_count": t.INTEGER,
    "has_dependent_backups": t.BOOL, "is_incremental": t.BOOL, "progress": t.INTEGER, "metadata": t.STRING_MAP,
    "user_id": t.STRING, "os-backup-project-attr:project_id": t.STRING,
}, required=["id", "name", "links", "status", "size", "volume_id", "created_at", "is_incremental"])
ONE = t.obj({"backup": DETAIL}, required=["backup"])
CREATED = t.obj({"backup": SUMMARY}, required=["backup"])
UPDATED = t.obj({"backup": t.obj({**SUMMARY["properties"], "metadata": t.STRING_MAP}, required=["id", "name", "links"])},
                required=["backup"])


def listing(item: t.JsonSchema) -> t.JsonSchema:
    return t.obj({"backups": t.array(item), "backups_links": t.LINKS, "count": t.INTEGER}, required=["backups"])


def summary(call: ApiCall, backup: Backup) -> dict[str, Any]:
    return {"id": backup.id, "name": backup.name, "links": links(call, "backups", backup.id)}


def updated(call: ApiCall, backup: Backup) -> dict[str, Any]:
    """Cinder's answer to an update: the summary, and the metadata from 3.43."""
    body = summary(call, backup)
    if call.since(43):
        body["metadata"] = dict(backup.metadata or {})
    return body


def detail(call: ApiCall, backup: Backup, *, children: int = 0, progress: bool = False) -> dict[str, Any]:
    body = summary(call, backup)
    body.update({
        "description": backup.description,
        "status": backup.status,
        "size": backup.size_gb,
        "volume_id": backup.volume_id,
        "snapshot_id": backup.snapshot_id,
        "availability_zone": backup.availability_zone,
        "container": backup.container,
        "created_at": iso(backup.created_at),
        "updated_at": iso(backup.updated_at),
        "data_timestamp": iso(backup.data_timestamp or backup.created_at),
        "fail_reason": backup.status_reason,
        "object_count": backup.object_count,
        "has_dependent_backups": children > 0,
        "is_incremental": backup.parent_id is not None,
    })
    if progress:
        body["progress"] = backup.progress
    if call.since(43):
        body["metadata"] = dict(backup.metadata or {})
    if call.since(56):
        body["user_id"] = backup.user_id
    if call.since(18) and call.allowed(rules.PROJECT_ATTRIBUTE):
        body["os-backup-project-attr:project_id"] = backup.project_id
    return body
