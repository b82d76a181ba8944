"""Attachment bodies in Cinder's shape, and the attachments a volume body lists.

connection_info is shown with the CHAP secret of the volume's export put back (the DB keeps
it in the volume's provider_auth only): an attachment is visible to its project and to admins
alone, the callers the secret is for.
"""

from __future__ import annotations

from typing import Any

from api import schema_types as t
from api.views.common import iso
from db.records import Attachment, Volume
from volume.states import shown_attachment_status

SUMMARY = t.obj({"id": t.STRING, "status": t.STRING, "instance": t.STRING_OR_NULL, "volume_id": t.STRING},
                required=["id", "status", "instance", "volume_id"])
DETAIL = t.obj({**SUMMARY["properties"], "attached_at": t.STRING_OR_NULL, "detached_at": t.STRING_OR_NULL,
                "attach_mode": t.STRING, "connection_info": t.nullable(t.ANY_OBJECT)},
               required=[*SUMMARY["required"], "attached_at", "detached_at", "attach_mode", "connection_info"])
ONE = t.obj({"attachment": DETAIL}, required=["attachment"])
# what a volume body lists of each attachment (Cinder's volume attachment summary)
OF_VOLUME = t.obj({"id": t.STRING, "attachment_id": t.STRING, "volume_id": t.STRING, "server_id": t.STRING_OR_NULL,
                   "host_name": t.STRING_OR_NULL, "device": t.STRING_OR_NULL, "attached_at": t.STRING_OR_NULL,
                   "attach_mode": t.STRING, "status": t.STRING},
                  required=["id", "attachment_id", "volume_id", "server_id"])


def listing(item: t.JsonSchema) -> t.JsonSchema:
    return t.obj({"attachments": t.array(item), "attachments_links": t.LINKS, "count": t.INTEGER},
                 required=["attachments"])


def summary(attachment: Attachment) -> dict[str, Any]:
    return {"id": attachment.id, "status": shown_attachment_status(attachment.status),
            "instance": attachment.instance_uuid, "volume_id": attachment.volume_id}


def detail(attachment: Attachment, volume: Volume | None) -> dict[str, Any]:
    return {**summary(attachment), "attached_at": iso(attachment.attached_at),
            "detached_at": iso(attachment.detached_at), "attach_mode": attachment.attach_mode,
            "connection_info": connection_info(attachment, volume)}


def connection_info(attachment: Attachment, volume: Volume | None) -> dict[str, Any] | None:
    stored = attachment.connection_info
    if not stored:
        return None
    data = dict(stored.get("data") or {})  # type: ignore[call-overload]
    if data.get("auth_method") == "CHAP" and volume is not None:
        secret = chap_secret(volume.provider_auth)
        if secret is not None:
            data["auth_password"] = secret
    return {**stored, "data": data, "attachment_id": attachment.id}


def chap_secret(provider_auth: str | None) -> str | None:
    """The secret of Cinder's ``provider_auth`` ("CHAP <user> <secret>")."""
    parts = (provider_auth or "").split()
    return parts[2] if len(parts) == 3 and parts[0] == "CHAP" else None


def of_volume(attachment: Attachment) -> dict[str, Any]:
    return {"id": attachment.volume_id, "attachment_id": attachment.id, "volume_id": attachment.volume_id,
            "server_id": attachment.instance_uuid, "host_name": attachment.attached_host,
            "device": attachment.mountpoint, "attached_at": iso(attachment.attached_at),
            "attach_mode": attachment.attach_mode, "status": shown_attachment_status(attachment.status)}
