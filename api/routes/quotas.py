"""/v3/os-quota-sets and /v3/limits: a project's quota limits and what it uses."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from api import responses
from api import validation as v
from api.errors import BadRequest
from api.request import ApiCall, Call, JsonBody
from db import api as db

router = APIRouter(prefix="/v3")

RESOURCES = ("volumes", "snapshots", "gigabytes", "backups", "backup_gigabytes")
_INTEGER = re.compile(r"^-?[0-9]+$")


def _readable(call: ApiCall, project_id: str) -> None:
    if project_id != call.project_id:
        call.require_admin("volume_extension:quotas:show")


@router.get("/os-quota-sets/{project_id}")
def show(project_id: str, call: Call, request: Request) -> Response:
    _readable(call, project_id)
    quotas = db.quota_get(project_id)
    body: dict[str, Any] = {"id": project_id}
    if v.query_bool(request.query_params.get("usage"), "usage"):
        body.update({res: {"limit": limit, "in_use": in_use, "reserved": 0}
                     for res, (limit, in_use) in quotas.items()})
    else:
        body.update({res: limit for res, (limit, _) in quotas.items()})
    return responses.json({"quota_set": body})


@router.get("/os-quota-sets/{project_id}/defaults")
def defaults(project_id: str, call: Call) -> Response:
    return responses.json({"quota_set": {"id": project_id, **db.quota_defaults()}})


@router.put("/os-quota-sets/{project_id}")
def update(project_id: str, call: Call, body: JsonBody) -> Response:
    call.require_admin("volume_extension:quotas:update")
    quota_set = v.section(body, "quota_set")
    quota_set = {k: val for k, val in quota_set.items() if k not in ("tenant_id", "id")}
    unknown = sorted(set(quota_set) - set(RESOURCES))
    if unknown:
        raise BadRequest(f"Bad key(s) in quota set: {', '.join(unknown)}")
    current = db.quota_get(project_id)
    limits: dict[str, int] = {}
    for resource, value in quota_set.items():
        limit = _limit(resource, value)
        in_use = current[resource][1]
        if limit != -1 and limit < in_use:
            raise BadRequest(f"Invalid input received: Quota {resource} limit must be equal or greater than "
                             f"existing resources (in use: {in_use}).")
        limits[resource] = limit
    if limits:
        db.quota_set(project_id, limits)
    return responses.json({"quota_set": {res: limit for res, (limit, _) in db.quota_get(project_id).items()}})


def _limit(resource: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str) or (
            isinstance(value, str) and not _INTEGER.match(value)):
        raise v.invalid(resource, value, "It must be an integer of at least -1 (-1: no limit).")
    limit = int(value)
    if not -1 <= limit <= v.MAX_INT:
        raise v.invalid(resource, value, "It must be an integer of at least -1 (-1: no limit).")
    return limit


@router.delete("/os-quota-sets/{project_id}")
def delete(project_id: str, call: Call) -> Response:
    call.require_admin("volume_extension:quotas:delete")
    db.quota_destroy(project_id)
    return Response(status_code=200)


@router.get("/limits")
def limits(call: Call) -> Response:
    quotas = db.quota_get(call.project_id)

    def limit(res: str) -> int:
        return quotas[res][0]

    def used(res: str) -> int:
        return quotas[res][1]

    absolute = {
        "maxTotalVolumes": limit("volumes"), "maxTotalSnapshots": limit("snapshots"),
        "maxTotalVolumeGigabytes": limit("gigabytes"), "maxTotalBackups": limit("backups"),
        "maxTotalBackupGigabytes": limit("backup_gigabytes"), "totalVolumesUsed": used("volumes"),
        "totalGigabytesUsed": used("gigabytes"), "totalSnapshotsUsed": used("snapshots"),
        "totalBackupsUsed": used("backups"), "totalBackupGigabytesUsed": used("backup_gigabytes"),
    }
    return responses.json({"limits": {"rate": [], "absolute": absolute}})
