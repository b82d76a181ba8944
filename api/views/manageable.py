"""Manageable volumes and snapshots in Cinder's list shape (``manageable-volumes``, ``manageable-snapshots``)."""

from __future__ import annotations

from typing import Any

from api import schema_types as t

_REFERENCE = t.obj({}, additionalProperties=t.STRING)
_SUMMARY_FIELDS = {"reference": _REFERENCE, "size": t.INTEGER, "safe_to_manage": t.BOOL}
_DETAIL_FIELDS = {**_SUMMARY_FIELDS, "reason_not_safe": t.STRING_OR_NULL, "cinder_id": t.STRING_OR_NULL,
                  "extra_info": t.nullable(t.ANY_OBJECT)}
_SOURCE = {"source_reference": t.nullable(_REFERENCE)}

VOLUME_SUMMARY = t.obj(_SUMMARY_FIELDS, required=list(_SUMMARY_FIELDS))
VOLUME_DETAIL = t.obj(_DETAIL_FIELDS, required=list(_DETAIL_FIELDS))
SNAPSHOT_SUMMARY = t.obj({**_SUMMARY_FIELDS, **_SOURCE}, required=[*_SUMMARY_FIELDS, *_SOURCE])
SNAPSHOT_DETAIL = t.obj({**_DETAIL_FIELDS, **_SOURCE}, required=[*_DETAIL_FIELDS, *_SOURCE])

KEYS = {"volumes": "manageable-volumes", "snapshots": "manageable-snapshots"}


def listing(kind: str, item: t.JsonSchema) -> t.JsonSchema:
    return t.obj({KEYS[kind]: t.array(item)}, required=[KEYS[kind]])


def shown(entry: dict[str, Any], *, detail: bool, snapshot: bool) -> dict[str, Any]:
    fields = list(_DETAIL_FIELDS if detail else _SUMMARY_FIELDS) + (list(_SOURCE) if snapshot else [])
    return {name: entry.get(name) for name in fields}
