"""/v3/workers/cleanup (3.24, admin): Cinder's cleanup of the work volume services that are down left.

The claims of the matching down services are taken away; each backend's active then resumes
or fails that work (nudged by a cast, and on its own within seconds anyway). The answer also
lists the attachments connected and never completed for ``attachment_unfinished_after_s``
(of the backend ``host`` names, and of the attachment or volume ``resource_id`` names);
``detach_unfinished_attachments`` (ember's) ends them — nothing else but a request does.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from api import responses
from api import schema_types as t
from api.actions import attachments as attachment_actions
from api.policies import workers as rules
from api.request import ApiCall
from api.spec import Req, Routes
from api.views.common import iso
from common import binaries
from common.binaries import binary_of
from db import api as db
from db.records import Attachment, Service
from rpc.errors import ServiceUnavailable
from volume.client import VolumeClient
from volume.states.attachments import shown_attachment_status

routes = Routes("/v3/workers", tag="services")

SINCE = 24
RESOURCE_TYPES = {"Volume": "volume", "Snapshot": "snapshot"}
BODY = t.obj({
    "service_id": {"type": "integer", "minimum": 1, "maximum": t.MAX_INT}, "cluster_name": t.text(min_len=1),
    "host": t.text(min_len=1), "binary": t.text(min_len=1), "is_up": t.BOOLEAN, "disabled": t.BOOLEAN,
    "resource_id": t.ID, "resource_type": t.one_of(RESOURCE_TYPES),
    "detach_unfinished_attachments": t.BOOLEAN,
}, extra=False)
_SERVICE = t.obj({"id": t.INTEGER, "host": t.STRING, "binary": t.STRING, "cluster_name": t.STRING_OR_NULL},
                 required=["id", "host", "binary"])
_ATTACHMENT = t.obj({"id": t.STRING, "volume_id": t.STRING, "project_id": t.STRING, "instance": t.STRING_OR_NULL,
                     "attached_host": t.STRING_OR_NULL, "status": t.STRING, "updated_at": t.STRING_OR_NULL},
                    required=["id", "volume_id", "project_id", "status"])
ANSWER = t.obj({"cleaning": t.array(_SERVICE), "unavailable": t.array(_SERVICE),
                "unfinished_attachments": t.array(_ATTACHMENT)}, required=["cleaning", "unavailable"])


@routes.post("/cleanup", name="cleanup_workers", summary="Take the work of volume services that are down away "
             "from them, for their backend's active to resume or fail; list (and with "
             "detach_unfinished_attachments, detach) the attachments connected and never completed.", success=202,
             body=BODY, response=ANSWER, since=SINCE, policy=rules.CLEANUP, casts=True)
def cleanup(call: ApiCall, req: Req) -> Response:
    body: dict[str, Any] = req.body
    if body.get("binary") and binary_of(body["binary"]) != binaries.VOLUME:  # only volume services hold work
        return responses.json({"cleaning": [], "unavailable": [], "unfinished_attachments": []}, 202)
    filters: dict[str, Any] = {k: body[k] for k in ("service_id", "resource_id") if k in body}
    if "host" in body or "cluster_name" in body:
        filters["host"] = body.get("host") or body["cluster_name"]
    for flag in ("is_up", "disabled"):
        if flag in body:
            filters[flag] = t.truthy(body[flag])
    if "resource_type" in body:
        filters["resource_type"] = RESOURCE_TYPES[body["resource_type"]]
    done = db.work_cleanup(filters, binary=binaries.VOLUME, down_after_s=call.settings.service_down_time_s)
    for host in sorted({s.host for s in done.cleaning}):
        try:
            VolumeClient().recover(call.ctx, host)
        except ServiceUnavailable:
            pass  # the active's periodic recovery takes it within seconds
    unfinished = _unfinished(call, body, filters)
    return responses.json({"cleaning": [_view(s) for s in done.cleaning],
                           "unavailable": [_view(s) for s in done.unavailable],
                           "unfinished_attachments": [_attachment_view(a) for a in unfinished]}, 202)


def _unfinished(call: ApiCall, body: dict[str, Any], filters: dict[str, Any]) -> list[Attachment]:
    if filters.get("resource_type") == "snapshot":
        return []
    backend_host: str | None = filters.get("host")
    if "service_id" in filters:
        hosts = {s.host for s in db.service_list(binary=binaries.VOLUME) if s.id == filters["service_id"]}
        if not hosts or (backend_host is not None and backend_host not in hosts):
            return []
        backend_host = hosts.pop()
    return attachment_actions.unfinished(call, backend_host=backend_host, resource_id=filters.get("resource_id"),
                                         detach=t.truthy(body.get("detach_unfinished_attachments", False)))


def _view(service: Service) -> dict[str, Any]:
    return {"id": service.id, "host": service.host, "binary": binaries.cinder_name(service.binary), "cluster_name": None}


def _attachment_view(attachment: Attachment) -> dict[str, Any]:
    return {"id": attachment.id, "volume_id": attachment.volume_id, "project_id": attachment.project_id,
            "instance": attachment.instance_uuid, "attached_host": attachment.attached_host,
            "status": shown_attachment_status(attachment.status),
            "updated_at": iso(attachment.updated_at or attachment.created_at)}
