"""Volume bodies in Cinder's shape, with the fields later microversions add."""

from __future__ import annotations

from typing import Any

from api import schema_types as t
from api.policies import volumes as rules
from api.request import ApiCall
from api.views import attachments as attachment_views
from api.views.common import iso, links
from db import api as db
from db.records import Attachment, Volume
from volume.states.attachments import AttachmentStatus, AttachStatus

SUMMARY = t.obj({"id": t.STRING, "name": t.STRING_OR_NULL, "links": t.LINKS}, required=["id", "name", "links"])
DETAIL = t.obj({
    "id": t.STRING, "name": t.STRING_OR_NULL, "description": t.STRING_OR_NULL, "status": t.STRING,
    "size": t.INTEGER, "availability_zone": t.STRING,
    "created_at": t.STRING, "updated_at": t.STRING_OR_NULL,
    "attachments": t.array(attachment_views.OF_VOLUME),
    "bootable": {"type": "string", "enum": ["true", "false"]}, "encrypted": t.BOOL, "links": t.LINKS,
    "metadata": t.STRING_MAP, "multiattach": t.BOOL, "snapshot_id": t.STRING_OR_NULL,
    "source_volid": t.STRING_OR_NULL, "user_id": t.STRING, "volume_type": t.STRING_OR_NULL,
    "migration_status": t.STRING_OR_NULL, "os-vol-tenant-attr:tenant_id": t.STRING,
    "os-vol-host-attr:host": t.STRING_OR_NULL, "volume_type_id": t.STRING_OR_NULL,
}, required=["id", "name", "status", "size", "availability_zone", "created_at", "attachments", "bootable",
             "links", "metadata", "multiattach", "user_id", "volume_type"])
ONE = t.obj({"volume": DETAIL}, required=["volume"])


def listing(item: t.JsonSchema) -> t.JsonSchema:
    return t.obj({"volumes": t.array(item), "volumes_links": t.LINKS, "count": t.INTEGER}, required=["volumes"])


def summary(call: ApiCall, volume: Volume) -> dict[str, Any]:
    return {"id": volume.id, "name": volume.name, "links": links(call, "volumes", volume.id)}


def detail(call: ApiCall, volume: Volume, *, attachments: list[Attachment] | None = None,
           extended: bool = True) -> dict[str, Any]:
    """``attachments``: the volume's, when the caller has them (a list fetches them for the whole page).
    ``extended``: with the attributes of Cinder's extensions (``os-vol-tenant-attr``, ``os-vol-host-attr``,
    ``os-vol-mig-status-attr``), which Cinder adds to show and list only, not to create and update answers.
    Only Cinder's fields: no attach_status or failure reason (a failure's reason is a user message).

    Only the attached ones are listed, as Cinder lists them: a server that only holds a reservation or
    is still connecting is not attached to the volume."""
    if attachments is None:
        attachments = (db.attachments_of_volume(volume.id)
                       if volume.attach_status != AttachStatus.DETACHED else [])
    body: dict[str, Any] = {
        "id": volume.id,
        "name": volume.name,
        "description": volume.description,
        "status": volume.status,
        "size": volume.size_gb,
        "availability_zone": volume.availability_zone,
        "created_at": iso(volume.created_at),
        "updated_at": iso(volume.updated_at),
        "attachments": [attachment_views.of_volume(a, show_host=call.is_admin or "service" in call.ctx.roles)
                        for a in attachments
                        if a.status == AttachmentStatus.ATTACHED],
        "bootable": "true" if volume.bootable else "false",
        "encrypted": False,
        "links": links(call, "volumes", volume.id),
        "metadata": volume.metadata,
        "multiattach": volume.multiattach,
        "replication_status": None,
        "snapshot_id": volume.snapshot_id,
        "source_volid": volume.source_volid,
        "user_id": volume.user_id,
        "volume_type": call.type_names.name(volume.volume_type_id),
        "consistencygroup_id": None,
    }
    # what Cinder's view and its attribute extensions show, each as its rule says
    if call.is_admin:
        body["migration_status"] = volume.migration_status
    if extended and call.allowed(rules.TENANT_ATTRIBUTE):
        body["os-vol-tenant-attr:tenant_id"] = volume.project_id
    if extended and call.allowed(rules.MIG_STATUS_ATTRIBUTE):
        body["os-vol-mig-status-attr:migstat"] = volume.migration_status
        body["os-vol-mig-status-attr:name_id"] = None
    if extended and call.allowed(rules.HOST_ATTRIBUTE):
        body["os-vol-host-attr:host"] = volume.host
    minor = call.minor
    if minor >= 13:
        body["group_id"] = volume.group_id
    if minor >= 21 and call.is_admin:
        body["provider_id"] = None
    if minor >= 48:
        body["service_uuid"] = None
        body["shared_targets"] = False
    if minor >= 61 and call.is_admin:
        body["cluster_name"] = None
    if minor >= 63:
        body["volume_type_id"] = volume.volume_type_id
    if minor >= 65:
        body["consumes_quota"] = True
    return body
