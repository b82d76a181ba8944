"""Request bodies: their JSON schemas (checked by ``api.spec`` before a handler runs) and the small
frozen values the handlers read out of a body that passed.

Nothing is written until a body has passed; the rules a schema cannot say (3.53's strictness,
sources that exclude each other) raise BadRequest here, naming the field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from api import schema_types as t
from api.errors import BadRequest
from volume.states.attachments import ATTACH_RESETTABLE
from volume.states.snapshots import SNAPSHOT_REPORTED, SNAPSHOT_RESETTABLE, SnapshotStatus
from volume.states.volumes import RESETTABLE, MigrationStatus

STRICT_BODIES_SINCE = 53  # Cinder rejects unknown keys in volume create/update from 3.53 on

_VOLUME_CREATE_FIELDS: dict[str, t.JsonSchema] = {
    "size": t.nullable(t.SIZE),
    "name": t.NAME,
    "description": t.DESCRIPTION,
    "display_name": t.NAME,
    "display_description": t.DESCRIPTION,
    "volume_type": t.NAME,
    "availability_zone": t.NAME,
    "metadata": t.nullable(t.METADATA),
    "snapshot_id": t.ID_OR_NULL,
    "source_volid": t.ID_OR_NULL,
    "multiattach": t.nullable(t.BOOLEAN),
    "backup_id": t.ID_OR_NULL,  # from 3.47: the new volume is restored from this backup
    "group_id": t.ID_OR_NULL,  # from 3.13: the generic group the volume is created in
    # Cinder's sources that ember does not offer: null or empty only
    **{field: {"type": ["string", "null"], "maxLength": 0,
               "description": "ember does not create volumes from images or consistency groups: leave it out."}
       for field in ("imageRef", "image_id", "consistencygroup_id")},
}
_DESCRIBED_FIELDS = {"name": t.NAME, "description": t.DESCRIPTION, "display_name": t.NAME,
                     "display_description": t.DESCRIPTION, "metadata": t.METADATA}

VOLUME_CREATE = t.obj({"volume": t.obj(_VOLUME_CREATE_FIELDS),
                       "OS-SCH-HNT:scheduler_hints": t.nullable(t.ANY_OBJECT)}, required=["volume"])
VOLUME_UPDATE = t.obj({"volume": t.obj(_DESCRIBED_FIELDS, extra=False)}, required=["volume"])
SNAPSHOT_CREATE = t.obj({"snapshot": t.obj({
    # null names no volume: Cinder's answer is the 404 of a volume not found
    "volume_id": t.nullable(t.ID), "force": t.nullable(t.BOOLEAN), **_DESCRIBED_FIELDS,
    "metadata": t.nullable(t.METADATA)}, required=["volume_id"], extra=False)}, required=["snapshot"])
SNAPSHOT_UPDATE = t.obj({"snapshot": t.obj(_DESCRIBED_FIELDS, extra=False)}, required=["snapshot"])
METADATA_BODY = t.obj({"metadata": t.METADATA}, required=["metadata"])
META_ITEM_BODY = t.obj({"meta": {**t.METADATA, "minProperties": 1, "maxProperties": 1}}, required=["meta"])

# -- volume and snapshot actions ----------------------------------------------------------------

EXTEND_ARGS = t.obj({"new_size": t.SIZE}, required=["new_size"], extra=False)
VOLUME_RESET_ARGS = t.obj({
    "status": t.one_of(RESETTABLE),
    "attach_status": t.one_of(ATTACH_RESETTABLE),
    "migration_status": t.one_of(MigrationStatus),
}, extra=False, anyOf=[{"required": ["status"]}, {"required": ["attach_status"]},
                       {"required": ["migration_status"]}])
SNAPSHOT_RESET_ARGS = t.obj({"status": t.one_of(SNAPSHOT_RESETTABLE)},
                            required=["status"], extra=False)
SNAPSHOT_REPORTABLE = frozenset({*SNAPSHOT_REPORTED, SnapshotStatus.CREATING, SnapshotStatus.DELETING})
SNAPSHOT_STATUS_ARGS = t.obj({"status": t.one_of(SNAPSHOT_REPORTABLE), "progress": t.text(max_len=255)},
                             required=["status"], extra=False)
NO_ARGS = t.ANY_OBJECT
SET_BOOTABLE_ARGS = t.obj({"bootable": t.BOOLEAN}, required=["bootable"], extra=False)
RETYPE_ARGS = t.obj({"new_type": t.text(min_len=1), "migration_policy": t.nullable(t.one_of(("never", "on-demand")))},
                    required=["new_type"], extra=False)
MIGRATE_ARGS = t.obj({"host": t.nullable(t.text(min_len=1)), "cluster": t.nullable(t.text(min_len=1)),
                     "force_host_copy": t.BOOLEAN, "lock_volume": t.BOOLEAN}, extra=False)
MIGRATE_COMPLETION_ARGS = t.obj({"new_volume": t.ID, "error": t.nullable(t.BOOLEAN)}, required=["new_volume"],
                                extra=False)
TRANSFER_CREATE = t.obj({"transfer": t.obj({"volume_id": t.ID, "name": t.NAME, "no_snapshots": t.BOOLEAN},
                                            required=["volume_id"], extra=False)}, required=["transfer"])
TRANSFER_ACCEPT = t.obj({"accept": t.obj({"auth_key": t.text(min_len=1)}, required=["auth_key"], extra=False)},
                        required=["accept"])
REVERT_ARGS = t.obj({"snapshot_id": t.ID}, required=["snapshot_id"], extra=False)
READONLY_ARGS = t.obj({"readonly": t.BOOLEAN}, required=["readonly"], extra=False)

# -- attachments ---------------------------------------------------------------------------------

ATTACH_MODE = t.one_of(["rw", "ro"])
_HOST_TEXT = t.nullable(t.text())
# os-brick's connector: the fields ember reads are typed, the rest (wwpns, nqn, ...) passed on as they are
CONNECTOR = t.obj({
    "initiator": _HOST_TEXT, "ip": _HOST_TEXT, "host": _HOST_TEXT, "platform": _HOST_TEXT,
    "os_type": _HOST_TEXT, "multipath": t.nullable(t.BOOLEAN), "mountpoint": _HOST_TEXT,
    "mode": t.nullable(ATTACH_MODE), "do_local_attach": t.nullable(t.BOOLEAN),
}, maxProperties=64)
ATTACHMENT_CREATE = t.obj({"attachment": t.obj({
    "volume_uuid": t.ID, "instance_uuid": t.ID_OR_NULL, "connector": t.nullable(CONNECTOR),
    "mode": ATTACH_MODE}, required=["volume_uuid"], extra=False)}, required=["attachment"])
ATTACHMENT_UPDATE = t.obj({"attachment": t.obj({"connector": CONNECTOR}, required=["connector"], extra=False)},
                          required=["attachment"])
CONNECTOR_ARGS = t.obj({"connector": CONNECTOR}, required=["connector"], extra=False)
ATTACH_ARGS = t.obj({"instance_uuid": t.ID_OR_NULL, "host_name": _HOST_TEXT, "mountpoint": _HOST_TEXT,
                     "mode": ATTACH_MODE}, extra=False, anyOf=[{"required": ["instance_uuid"]},
                                                               {"required": ["host_name"]}])
# Cinder ignores os-complete's argument; openstacksdk sends the attachment's id there
COMPLETE_ARGS: t.JsonSchema = {"description": "Ignored."}
DETACH_ARGS = t.obj({"attachment_id": t.ID_OR_NULL}, extra=False)
FORCE_DETACH_ARGS = t.obj({"attachment_id": t.ID_OR_NULL, "connector": t.nullable(CONNECTOR)}, extra=False)


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
    backup_id: str | None = None
    group_id: str | None = None


BACKUP_SOURCE_SINCE = 47
GROUP_SINCE = 13


def parse_volume_create(body: dict[str, Any], minor: int) -> VolumeCreate:
    volume: dict[str, Any] = body["volume"]
    if minor >= STRICT_BODIES_SINCE:
        only(volume, _VOLUME_CREATE_FIELDS, "volume")
    snapshot_id = volume.get("snapshot_id") or None
    source_volid = volume.get("source_volid") or None
    backup_id = volume.get("backup_id") or None
    if backup_id and minor < BACKUP_SOURCE_SINCE:
        raise BadRequest("Invalid input: a volume is created from a backup (backup_id) from microversion 3.47 on.")
    if sum(1 for source in (snapshot_id, source_volid, backup_id) if source) > 1:
        raise BadRequest("Invalid input: give only one of snapshot_id, source_volid and backup_id.")
    size = volume.get("size")
    if size is None and not (snapshot_id or source_volid or backup_id):
        raise BadRequest("Invalid input for field/attribute size. It is required unless the volume is created "
                         "from a snapshot, a volume or a backup.")
    multiattach = volume.get("multiattach")
    return VolumeCreate(
        size_gb=int(size) if size is not None else None,
        name=volume.get("name") or volume.get("display_name"),
        description=volume.get("description") or volume.get("display_description"),
        volume_type=volume.get("volume_type") or None,
        availability_zone=volume.get("availability_zone") or None,
        metadata=dict(volume.get("metadata") or {}),
        snapshot_id=snapshot_id,
        source_volid=source_volid,
        multiattach=multiattach is not None and t.truthy(multiattach),
        backup_id=backup_id,
        # Cinder reads group_id from 3.13 on and ignores it before
        group_id=(volume.get("group_id") or None) if minor >= GROUP_SINCE else None,
    )


def parse_volume_update(body: dict[str, Any], minor: int) -> dict[str, Any]:
    """The columns a PUT /volumes/{id} changes (from 3.53 on, at least one)."""
    return described_values(body["volume"], "volume", strict=minor >= STRICT_BODIES_SINCE)


@dataclass(frozen=True)
class SnapshotCreate:
    volume_id: str | None
    name: str | None
    description: str | None
    force: bool | None
    metadata: dict[str, str]


def parse_snapshot_create(body: dict[str, Any]) -> SnapshotCreate:
    snapshot: dict[str, Any] = body["snapshot"]
    force = snapshot.get("force")
    return SnapshotCreate(
        volume_id=snapshot["volume_id"],
        name=snapshot.get("name") or snapshot.get("display_name"),
        description=snapshot.get("description") or snapshot.get("display_description"),
        force=None if force is None else t.truthy(force),
        metadata=dict(snapshot.get("metadata") or {}),
    )


def described_values(section: dict[str, Any], key: str, *, strict: bool) -> dict[str, Any]:
    """The name/description/metadata columns a PUT of ``{key: {...}}`` sets; ``strict``: at least one."""
    values: dict[str, Any] = {}
    for field, column in (("name", "name"), ("display_name", "name"), ("description", "description"),
                          ("display_description", "description")):
        if field in section:
            values[column] = section[field]
    if "metadata" in section:
        values["metadata"] = dict(section["metadata"])
    if not values and strict:
        raise BadRequest(f"Invalid input for field/attribute {key}. Give at least one of name, description, "
                         "metadata.")
    return values


def only(obj: dict[str, Any], allowed: Any, where: str) -> None:
    unexpected = sorted(set(obj) - set(allowed))
    if unexpected:
        raise BadRequest(f"Invalid input for field/attribute {where}. Additional properties are not allowed "
                         f"({', '.join(repr(k[:40]) for k in unexpected)} unexpected).")

# -- manage ----------------------------------------------------------------------------------------

# Cinder's reference is driver-defined; ember's drivers read source-name, or source-id (ember's name of it)
MANAGE_REF = t.obj({"source-name": t.text(1024, min_len=1), "source-id": t.text(min_len=1)}, minProperties=1)
VOLUME_MANAGE = t.obj({"volume": t.obj({
    "host": t.nullable(t.text(min_len=1)), "cluster": t.nullable(t.text()), "ref": MANAGE_REF,
    "name": t.NAME, "description": t.DESCRIPTION, "volume_type": t.NAME, "availability_zone": t.NAME,
    "bootable": t.nullable(t.BOOLEAN), "metadata": t.nullable(t.METADATA)}, required=["ref"])},
    required=["volume"])
SNAPSHOT_MANAGE = t.obj({"snapshot": t.obj({
    "volume_id": t.ID, "ref": MANAGE_REF, "name": t.NAME, "description": t.DESCRIPTION,
    "metadata": t.nullable(t.METADATA)}, required=["volume_id", "ref"])}, required=["snapshot"])
