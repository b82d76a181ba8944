"""/v3/os-quota-sets and /v3/limits: a project's quota limits and what it uses."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from api import paging, responses
from api import schema_types as t
from api.errors import BadRequest
from api.policies import quotas as rules
from api.request import ApiCall
from api.spec import Param, Req, Routes
from db import api as db
from db.api.quotas import RESOURCES

routes = Routes("/v3", tag="quotas", path_params={"target_project_id": t.text(min_len=1),
                                                  "class_name": t.text(min_len=1)})

# -1 means no limit; Cinder takes the number or its digits
_LIMIT: t.JsonSchema = {"type": ["integer", "string"], "minimum": -1, "maximum": t.MAX_INT,
                        "pattern": f"^(-1|0|{t.up_to(t.MAX_INT)[2:-2]})$"}
# besides the fixed resources, ``volumes_<type>``, ``gigabytes_<type>``, ``snapshots_<type>`` of every live
# volume type: their names change with the types, so the handler checks them (Cinder's "Bad key(s)")
_LIMITS = t.obj({res: _LIMIT for res in RESOURCES}, additionalProperties=_LIMIT)
_NOT_QUOTAS = ("tenant_id", "id")  # Cinder takes these in a quota set and ignores them
UPDATE_BODY = t.obj({"quota_set": t.obj({**_LIMITS["properties"], "tenant_id": t.NAME, "id": t.NAME},
                                        additionalProperties=_LIMIT)}, required=["quota_set"])
CLASS_BODY = t.obj({"quota_class_set": t.obj({**_LIMITS["properties"], "id": t.NAME},
                                             additionalProperties=_LIMIT)}, required=["quota_class_set"])
_USAGE = t.obj({"limit": t.INTEGER, "in_use": t.INTEGER, "reserved": t.INTEGER})
QUOTA_SET = t.obj({"quota_set": t.obj({res: {"anyOf": [t.INTEGER, _USAGE]} for res in RESOURCES},
                                      additionalProperties={"anyOf": [t.INTEGER, _USAGE, t.NAME]})},
                  required=["quota_set"])
QUOTA_CLASS_SET = t.obj({"quota_class_set": t.obj({res: t.INTEGER for res in RESOURCES},
                                                  additionalProperties={"anyOf": [t.INTEGER, t.NAME]})},
                        required=["quota_class_set"])
LIMITS = t.obj({"limits": t.obj({"rate": t.array(t.ANY_OBJECT), "absolute": t.obj({}, additionalProperties=t.INTEGER)},
                                required=["rate", "absolute"])}, required=["limits"])


def _asked(given: dict[str, Any], *, strict: bool = True) -> dict[str, tuple[str, int]]:
    """shown key -> (stored key, limit) of a quota set or class in a request. An unknown key is a 400 naming it
    in a quota set; a quota class takes and ignores it, as Cinder (which stores it and never shows it)."""
    keys = db.quota_keys()
    bad = sorted(k for k in given if k not in keys and k not in _NOT_QUOTAS)
    if bad and strict:
        raise BadRequest(f"Bad key(s) in quota set: {', '.join(bad)}")
    return {k: (keys[k], int(val)) for k, val in given.items() if k in keys}


@routes.get("/os-quota-sets/{target_project_id}", name="show_quotas", summary="A project's quota limits.",
            query=(Param("usage", paging.BOOLEAN_QUERY, "Also show what is in use."),), response=QUOTA_SET,
            policy=rules.SHOW)
def show(call: ApiCall, req: Req, target_project_id: str) -> Response:
    quotas = db.quota_get(target_project_id, call.settings.quota_defaults)
    body: dict[str, Any] = {"id": target_project_id}
    if req.query.get("usage"):
        body.update({res: {"limit": limit, "in_use": in_use, "reserved": 0}
                     for res, (limit, in_use) in quotas.items()})
    else:
        body.update({res: limit for res, (limit, _) in quotas.items()})
    return responses.json({"quota_set": body})


@routes.get("/os-quota-sets/{target_project_id}/defaults", name="show_default_quotas",
            summary="The limits of a project without its own: the default quota class over the quota_* options.",
            response=QUOTA_SET, policy=rules.SHOW)
def defaults(call: ApiCall, req: Req, target_project_id: str) -> Response:
    limits = db.quota_class_get(db.DEFAULT_QUOTA_CLASS, call.settings.quota_defaults)
    return responses.json({"quota_set": {"id": target_project_id, **limits}})


@routes.get("/os-quota-class-sets/{class_name}", name="show_quota_class",
            summary="A quota class's limits (the default class's are what projects without their own get).",
            response=QUOTA_CLASS_SET, policy=rules.QUOTA_CLASSES)
def quota_class(call: ApiCall, req: Req, class_name: str) -> Response:
    limits = db.quota_class_get(class_name, call.settings.quota_defaults)
    return responses.json({"quota_class_set": {"id": class_name, **limits}})


@routes.put("/os-quota-class-sets/{class_name}", name="update_quota_class",
            summary="Change a quota class's limits; the default class's apply to every project without its own.",
            body=CLASS_BODY, response=QUOTA_CLASS_SET, policy=rules.QUOTA_CLASSES)
def update_quota_class(call: ApiCall, req: Req, class_name: str) -> Response:
    asked = _asked(req.body["quota_class_set"], strict=False)
    if asked:
        db.quota_class_set(class_name, dict(asked.values()))
    return responses.json({"quota_class_set": db.quota_class_get(class_name, call.settings.quota_defaults)})


@routes.put("/os-quota-sets/{target_project_id}", name="update_quotas", summary="Change a project's quota limits.",
            body=UPDATE_BODY, response=QUOTA_SET, policy=rules.UPDATE)
def update(call: ApiCall, req: Req, target_project_id: str) -> Response:
    asked = _asked(req.body["quota_set"])
    current = db.quota_get(target_project_id, call.settings.quota_defaults)
    for resource, (_, limit) in asked.items():
        in_use = current[resource][1] if resource in current else 0
        if limit != -1 and limit < in_use:
            raise BadRequest(f"Invalid input received: Quota {resource} limit must be equal or greater than "
                             f"existing resources (in use: {in_use}).")
    if asked:
        db.quota_set(target_project_id, dict(asked.values()))
    return responses.json({"quota_set": {res: limit for res, (limit, _) in db.quota_get(target_project_id, call.settings.quota_defaults).items()}})


@routes.delete("/os-quota-sets/{target_project_id}", name="delete_quotas",
               summary="Return a project to the default limits.", policy=rules.DELETE)
def delete(call: ApiCall, req: Req, target_project_id: str) -> Response:
    db.quota_destroy(target_project_id)
    return Response(status_code=200)


# from 3.39 the cloud admin may ask for another project's limits (openstack limits show --project); Cinder
# ignores the parameter below 3.39 and for everyone else, and so does ember
LIMITS_PROJECT_SINCE = 39
LIMITS_QUERY = (Param("project_id", t.text(min_len=1), "The cloud admin: this project's limits (3.39)."),
                Param("tenant_id", t.text(min_len=1), "The same as project_id."))


@routes.get("/limits", name="show_limits", summary="The caller's absolute limits and usage.", response=LIMITS,
            query=LIMITS_QUERY, policy=rules.LIMITS)
def limits(call: ApiCall, req: Req) -> Response:
    project_id = call.project_id
    if call.since(LIMITS_PROJECT_SINCE) and call.is_admin:
        project_id = req.query.get("project_id") or req.query.get("tenant_id") or project_id
    quotas = db.quota_get(project_id, call.settings.quota_defaults)

    def limit(res: str) -> int:
        return quotas[res][0]

    def used(res: str) -> int:
        return quotas[res][1]

    absolute = {
        "maxTotalVolumes": limit("volumes"), "maxTotalSnapshots": limit("snapshots"),
        "maxTotalVolumeGigabytes": limit("gigabytes"), "maxTotalBackups": limit("backups"),
        "maxTotalBackupGigabytes": limit("backup_gigabytes"),
    }
    if call.allowed(rules.USED_LIMITS):  # Cinder's used_limits extension
        absolute.update({
            "totalVolumesUsed": used("volumes"), "totalGigabytesUsed": used("gigabytes"),
            "totalSnapshotsUsed": used("snapshots"), "totalBackupsUsed": used("backups"),
            "totalBackupGigabytesUsed": used("backup_gigabytes"),
        })
    return responses.json({"limits": {"rate": [], "absolute": absolute}})
