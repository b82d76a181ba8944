"""Attachment bodies in Cinder's shape, and the attachments a volume body lists.

connection_info is shown with the CHAP secret of the volume's export put back (the DB keeps
it in the volume's provider_auth only), to the callers the secret is for: the project's members,
admins and the service role (``ember:attachment_connection_info``); a reader sees null. It
carries the connection options Cinder's volume manager adds to what the driver returns (``_connection_options``), in Cinder's two shapes: the driver's
``data`` kept apart for os-initialize_connection, flattened into one object for the attachments
API (Nova rebuilds ``data`` from it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from api import schema_types as t
from api.views.common import iso
from db.records import Attachment, Volume
from volume.states.attachments import shown_attachment_status

CACHEABLE_SPEC = "cacheable"  # the volume type's extra spec that lets a host cache the volume (Cinder's)

SUMMARY = t.obj({"id": t.STRING, "status": t.STRING, "instance": t.STRING_OR_NULL, "volume_id": t.STRING},
                required=["id", "status", "instance", "volume_id"])
DETAIL = t.obj({**SUMMARY["properties"], "attached_at": t.STRING_OR_NULL, "detached_at": t.STRING_OR_NULL,
                "attach_mode": t.STRING, "connection_info": t.nullable(t.ANY_OBJECT)},
               required=[*SUMMARY["required"], "attached_at", "detached_at", "attach_mode", "connection_info"])
ONE = t.obj({"attachment": DETAIL}, required=["attachment"])
# what a volume body lists of each attachment (Cinder's volume attachment summary)
OF_VOLUME = t.obj({"id": t.STRING, "attachment_id": t.STRING, "volume_id": t.STRING, "server_id": t.STRING_OR_NULL,
                   "host_name": t.STRING_OR_NULL, "device": t.STRING_OR_NULL, "attached_at": t.STRING_OR_NULL},
                  required=["id", "attachment_id", "volume_id", "server_id"], extra=False)


def listing(item: t.JsonSchema) -> t.JsonSchema:
    return t.obj({"attachments": t.array(item), "attachments_links": t.LINKS, "count": t.INTEGER},
                 required=["attachments"])


def summary(attachment: Attachment) -> dict[str, Any]:
    return {"id": attachment.id, "status": shown_attachment_status(attachment.status),
            "instance": attachment.instance_uuid, "volume_id": attachment.volume_id}


def detail(attachment: Attachment, volume: Volume | None, type_specs: Mapping[str, str], *,
           with_connection_info: bool = True, qos_specs: Mapping[str, object] | None = None) -> dict[str, Any]:
    """``type_specs``: the extra specs of the volume's type; ``with_connection_info``: whether the caller may
    read it (else null); ``qos_specs``: the front-end QoS keys of the volume's type."""
    info = connection_info(attachment, volume, type_specs, qos_specs) if with_connection_info else None
    return {**summary(attachment), "attached_at": iso(attachment.attached_at),
            "detached_at": iso(attachment.detached_at), "attach_mode": attachment.attach_mode,
            "connection_info": info}


def connection_info(attachment: Attachment, volume: Volume | None, type_specs: Mapping[str, str],
                    qos_specs: Mapping[str, object] | None = None) -> dict[str, Any] | None:
    """As Cinder's attachments API shows it: the driver's data and its other keys in one object."""
    info = legacy_connection_info(attachment, volume, type_specs, qos_specs)
    if info is None:
        return None
    data = info.pop("data")
    return {**data, **info, "attachment_id": attachment.id}


def legacy_connection_info(attachment: Attachment, volume: Volume | None, type_specs: Mapping[str, str],
                           qos_specs: Mapping[str, object] | None = None) -> dict[str, Any] | None:
    """As os-initialize_connection answers it: ``{"driver_volume_type": ..., "data": {...}, ...}``."""
    stored = attachment.connection_info
    if not stored:
        return None
    data = dict(stored.get("data") or {})  # type: ignore[call-overload]
    data.update(_connection_options(attachment, data, type_specs, qos_specs))
    if data.get("auth_method") == "CHAP" and volume is not None:
        secret = chap_secret(volume.provider_auth)
        if secret is not None:
            data["auth_password"] = secret
    return {**stored, "data": data, "enforce_multipath": data["enforce_multipath"]}


def _connection_options(attachment: Attachment, data: Mapping[str, Any], type_specs: Mapping[str, str],
                        qos_specs: Mapping[str, object] | None) -> dict[str, Any]:
    """What Cinder 29's volume manager adds to a driver's connection ``data`` (``_parse_connection_options``
    and ``initialize_connection``): the front-end QoS keys of the volume's type (null if none), the attachment's access
    mode, not encrypted unless the driver says so (ember does not encrypt volumes), cacheable only when
    the volume type says ``<is> True`` and the driver does not say no, and the connector's enforce_multipath."""
    type_cacheable = type_specs.get(CACHEABLE_SPEC) == "<is> True"
    driver_cacheable = data.get("cacheable")
    return {
        "qos_specs": dict(qos_specs) if qos_specs is not None else None,
        "access_mode": attachment.attach_mode,
        "encrypted": bool(data.get("encrypted")),
        "cacheable": type_cacheable if driver_cacheable is None else bool(driver_cacheable) and type_cacheable,
        "enforce_multipath": (attachment.connector or {}).get("enforce_multipath", False),
    }


def chap_secret(provider_auth: str | None) -> str | None:
    """The secret of Cinder's ``provider_auth`` ("CHAP <user> <secret>")."""
    parts = (provider_auth or "").split()
    return parts[2] if len(parts) == 3 and parts[0] == "CHAP" else None


def of_volume(attachment: Attachment, *, show_host: bool) -> dict[str, Any]:
    """``show_host``: the host name is the admin's to see (Cinder shows others null)."""
    return {"id": attachment.volume_id, "attachment_id": attachment.id, "volume_id": attachment.volume_id,
            "server_id": attachment.instance_uuid, "host_name": attachment.attached_host if show_host else None,
            "device": attachment.mountpoint, "attached_at": iso(attachment.attached_at)}
