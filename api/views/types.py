"""Volume type bodies; extra specs only for admins, as Cinder's default policy."""

from __future__ import annotations

from typing import Any

from api import schema_types as t
from api.request import ApiCall
from db.records import VolumeType

DETAIL = t.obj({"id": t.STRING, "name": t.STRING, "description": t.STRING_OR_NULL, "is_public": t.BOOL,
                "os-volume-type-access:is_public": t.BOOL, "qos_specs_id": t.STRING_OR_NULL,
                "extra_specs": t.STRING_MAP}, required=["id", "name", "is_public"])
ONE = t.obj({"volume_type": DETAIL}, required=["volume_type"])
LIST = t.obj({"volume_types": t.array(DETAIL), "volume_types_links": t.LINKS}, required=["volume_types"])
EXTRA_SPECS = t.obj({"extra_specs": t.STRING_MAP}, required=["extra_specs"])


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
