"""Volume type bodies; extra specs only for admins, as Cinder's default policy."""

from __future__ import annotations

from typing import Any

from api.request import ApiCall
from db.records import VolumeType


def detail(call: ApiCall, volume_type: VolumeType) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": volume_type.id,
        "name": volume_type.name,
        "description": volume_type.description,
        "is_public": volume_type.is_public,
        "os-volume-type-access:is_public": volume_type.is_public,
        "qos_specs_id": None,
    }
    if call.is_admin:
        body["extra_specs"] = volume_type.extra_specs
    return body
