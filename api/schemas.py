"""Request bodies, parsed and checked into small frozen values before any action runs.

Each ``parse_*`` raises BadRequest naming the field that is wrong; nothing is written until
a body has passed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from api import validation as v
from api.errors import BadRequest

_VOLUME_CREATE_KEYS = frozenset({
    "size", "name", "description", "display_name", "display_description", "volume_type", "availability_zone",
    "metadata", "snapshot_id", "source_volid", "multiattach", "imageRef", "image_id", "backup_id",
    "consistencygroup_id", "group_id",
})
STRICT_BODIES_SINCE = 53  # Cinder rejects unknown keys in volume create/update from 3.53 on


@dataclass(frozen=True)
class VolumeCreate:
    size_gb: int | None
    name: str | None
    description: str | None
    volume_type: str | None
    availability_zone: str | None
    metadata: dict[str, str]
    snapshot_id: str | None
    source_volid: str | None
    multiattach: bool


def parse_volume_create(body: Any, minor: int) -> VolumeCreate:
    volume = v.section(body, "volume")
    if minor >= STRICT_BODIES_SINCE:
        v.only(volume, _VOLUME_CREATE_KEYS, "volume")
    for unsupported, what in (("imageRef", "an image"), ("image_id", "an image"), ("backup_id", "a backup"),
                              ("consistencygroup_id", "a consistency group"), ("group_id", "a group")):
        if volume.get(unsupported) is not None:
            raise BadRequest(f"Invalid input for field/attribute {unsupported}. Creating a volume from "
                             f"{what} is not supported by ember.")
    snapshot_id = v.uuid_ref(volume, "snapshot_id")
    source_volid = v.uuid_ref(volume, "source_volid")
    if snapshot_id and source_volid:
        raise BadRequest("Invalid input: give snapshot_id or source_volid, not both.")
    size = volume.get("size")
    if size is None and not (snapshot_id or source_volid):
        raise BadRequest("Invalid input for field/attribute size. It is required unless the volume is created "
                         "from a snapshot or a volume.")
    return VolumeCreate(
        size_gb=v.size(size) if size is not None else None,
        name=v.text(volume, "name") or v.text(volume, "display_name"),
        description=v.text(volume, "description") or v.text(volume, "display_description"),
        volume_type=v.text(volume, "volume_type") or None,
        availability_zone=v.text(volume, "availability_zone") or None,
        metadata=v.metadata(volume.get("metadata")),
        snapshot_id=snapshot_id,
        source_volid=source_volid,
        multiattach=v.boolean(volume.get("multiattach") or False, "multiattach"),
    )


def parse_volume_update(body: Any, minor: int) -> dict[str, Any]:
    """The columns a PUT /volumes/{id} changes (from 3.53 on, at least one)."""
    return _update_values(body, "volume", strict=minor >= STRICT_BODIES_SINCE)


@dataclass(frozen=True)
class SnapshotCreate:
    volume_id: str
    name: str | None
    description: str | None
    force: bool | None
    metadata: dict[str, str]


def parse_snapshot_create(body: Any) -> SnapshotCreate:
    snapshot = v.section(body, "snapshot")
    v.only(snapshot, {"volume_id", "name", "description", "display_name", "display_description", "force",
                      "metadata"}, "snapshot")
    volume_id = v.text(snapshot, "volume_id", max_len=36, required=True)
    assert volume_id is not None
    force = snapshot.get("force")
    return SnapshotCreate(
        volume_id=volume_id,
        name=v.text(snapshot, "name") or v.text(snapshot, "display_name"),
        description=v.text(snapshot, "description") or v.text(snapshot, "display_description"),
        force=v.boolean(force, "force") if force is not None else None,
        metadata=v.metadata(snapshot.get("metadata")),
    )


def parse_snapshot_update(body: Any) -> dict[str, Any]:
    return _update_values(body, "snapshot", strict=True)


def _update_values(body: Any, key: str, *, strict: bool) -> dict[str, Any]:
    """The name/description/metadata columns a PUT of ``{key: {...}}`` sets; ``strict``: at least one."""
    section = v.section(body, key)
    v.only(section, {"name", "description", "display_name", "display_description", "metadata"}, key)
    values: dict[str, Any] = {}
    for field, column in (("name", "name"), ("display_name", "name"), ("description", "description"),
                          ("display_description", "description")):
        if field in section:
            values[column] = v.text(section, field)
    if "metadata" in section:
        values["metadata"] = v.metadata(section["metadata"])
    if not values and strict:
        raise BadRequest(f"Invalid input for field/attribute {key}. Give at least one of name, description, "
                         "metadata.")
    return values


def parse_action(body: Any) -> tuple[str, Any]:
    """``{"os-name": args}`` -> (name, args); exactly one action per request."""
    if not isinstance(body, dict) or len(body) != 1:
        raise BadRequest("Malformed request body: an action body is one object such as {\"os-extend\": {...}}.")
    ((name, args),) = body.items()
    return name, args


def action_args(name: str, args: Any) -> dict[str, Any]:
    if args is None:
        return {}
    if not isinstance(args, dict):
        raise v.invalid(name, args, "It must be an object.")
    return args
