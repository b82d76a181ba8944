"""/v3/workers/cleanup (3.24, admin): Cinder's cleanup of the work volume services that are down left.

The claims of the matching down services are taken away; each backend's active then resumes
or fails that work (nudged by a cast, and on its own within seconds anyway).
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from api import responses
from api import schema_types as t
from api.request import ApiCall
from api.spec import Req, Routes
from common import binaries
from common.binaries import binary_of
from db import api as db
from db.records import Service
from rpc.errors import ServiceUnavailable
from volume.client import VolumeClient

routes = Routes("/v3/workers", tag="services")

SINCE = 24
RESOURCE_TYPES = {"Volume": "volume", "Snapshot": "snapshot"}
BODY = t.obj({
    "service_id": {"type": "integer", "minimum": 1, "maximum": t.MAX_INT}, "cluster_name": t.text(min_len=1),
    "host": t.text(min_len=1), "binary": t.text(min_len=1), "is_up": t.BOOLEAN, "disabled": t.BOOLEAN,
    "resource_id": t.ID, "resource_type": t.one_of(RESOURCE_TYPES),
}, extra=False)
_SERVICE = t.obj({"id": t.INTEGER, "host": t.STRING, "binary": t.STRING, "cluster_name": t.STRING_OR_NULL},
                 required=["id", "host", "binary"])
ANSWER = t.obj({"cleaning": t.array(_SERVICE), "unavailable": t.array(_SERVICE)}, required=["cleaning", "unavailable"])


@routes.post("/cleanup", name="cleanup_workers", summary="Take the work of volume services that are down away "
             "from them, for their backend's active to resume or fail.", success=202, body=BODY, response=ANSWER,
             since=SINCE, admin_rule="workers:cleanup", casts=True)
def cleanup(call: ApiCall, req: Req) -> Response:
    body: dict[str, Any] = req.body
    if body.get("binary") and binary_of(body["binary"]) != binaries.VOLUME:
        return responses.json({"cleaning": [], "unavailable": []}, 202)  # only volume services hold work
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
    return responses.json({"cleaning": [_view(s) for s in done.cleaning],
                           "unavailable": [_view(s) for s in done.unavailable]}, 202)


def _view(service: Service) -> dict[str, Any]:
    return {"id": service.id, "host": service.host, "binary": service.binary, "cluster_name": None}
