"""QoS specs bodies as Cinder shows them: id, name, consumer and the keys, with links on a single one."""

from __future__ import annotations

from typing import Any

from api import schema_types as t
from api.request import ApiCall
from api.views.common import links
from db.records import QosSpecs

DETAIL = t.obj({"id": t.STRING, "name": t.STRING, "consumer": t.STRING, "specs": t.STRING_MAP},
               required=["id", "name", "consumer", "specs"])
ONE = t.obj({"qos_specs": DETAIL, "links": t.LINKS}, required=["qos_specs", "links"])
LIST = t.obj({"qos_specs": t.array(DETAIL), "qos_specs_links": t.LINKS}, required=["qos_specs"])
KEYS = t.obj({"qos_specs": t.STRING_MAP}, required=["qos_specs"])
ASSOCIATIONS = t.obj({"qos_associations": t.array(t.obj(
    {"association_type": t.STRING, "id": t.STRING, "name": t.STRING}, required=["association_type", "id", "name"]))},
    required=["qos_associations"])


def detail(qos: QosSpecs) -> dict[str, Any]:
    return {"id": qos.id, "name": qos.name, "consumer": qos.consumer, "specs": dict(qos.specs)}


def one(call: ApiCall, qos: QosSpecs) -> dict[str, Any]:
    return {"qos_specs": detail(qos), "links": links(call, "qos-specs", qos.id)}


def associations(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    return {"qos_associations": [{"association_type": "volume_type", "id": type_id, "name": name}
                                 for type_id, name in pairs]}
