"""Snapshot bodies in Cinder's shape."""

from __future__ import annotations

from typing import Any

from api.request import ApiCall
from api.views.common import iso
from db.records import Snapshot


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


def detail(call: ApiCall, snapshot: Snapshot) -> dict[str, Any]:
    body = summary(call, snapshot)
    body["status_reason"] = snapshot.status_reason
    body["os-extended-snapshot-attributes:progress"] = snapshot.progress
    body["os-extended-snapshot-attributes:project_id"] = snapshot.project_id
    if call.minor >= 41:
        body["user_id"] = snapshot.user_id
    if call.minor >= 65:
        body["consumes_quota"] = True
    return body
