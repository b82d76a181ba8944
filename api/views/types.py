"""Volume type bodies, each attribute shown as Cinder's rules say: readers see the user-visible extra
specs, admins all of them, the type's qos_specs_id and its os-volume-type-access:is_public as Cinder shows them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from api import schema_types as t
from api.policies import volume_type as rules
from api.request import ApiCall
from db.records import VolumeType

DETAIL = t.obj({"id": t.STRING, "name": t.STRING, "description": t.STRING_OR_NULL, "is_public": t.BOOL,
                "os-volume-type-access:is_public": t.BOOL, "qos_specs_id": t.STRING_OR_NULL,
                "extra_specs": t.STRING_MAP}, required=["id", "name", "is_public"])
ONE = t.obj({"volume_type": DETAIL}, required=["volume_type"])
LIST = t.obj({"volume_types": t.array(DETAIL), "volume_types_links": t.LINKS}, required=["volume_types"])
EXTRA_SPECS = t.obj({"extra_specs": t.STRING_MAP}, required=["extra_specs"])


def detail(call: ApiCall, volume_type: VolumeType, *, answer: str = "show") -> dict[str, Any]:
    """``answer``: "show" (and list), "create" or "update". Cinder's create answer has no qos_specs_id,
    and its update answer neither that nor os-volume-type-access:is_public (whose extension extends only
    show, list and create)."""
    body: dict[str, Any] = {
        "id": volume_type.id,
        "name": volume_type.name,
        "description": volume_type.description,
        "is_public": volume_type.is_public,
    }
    if answer != "update" and call.allowed(rules.TYPE_ACCESS_ATTRIBUTE):
        body["os-volume-type-access:is_public"] = volume_type.is_public
    if answer == "show" and call.allowed(rules.QOS_ATTRIBUTE):
        body["qos_specs_id"] = volume_type.qos_specs_id
    if call.allowed(rules.EXTRA_SPECS_ATTRIBUTE):
        body["extra_specs"] = readable_specs(call, volume_type.extra_specs)
    return body


def readable_specs(call: ApiCall, specs: Mapping[str, str]) -> dict[str, str]:
    """All of a type's extra specs for whom may read the sensitive ones (admins), else the user-visible ones."""
    if call.allowed(rules.SPECS_READ_SENSITIVE):
        return dict(specs)
    return {key: value for key, value in specs.items() if key in rules.USER_VISIBLE_EXTRA_SPECS}
