"""/v3/default-types (3.62): each project's default volume type, which a volume created without a type gets
before the config's ``default_volume_type``."""

from __future__ import annotations

from starlette.responses import Response

from api import responses
from api import schema_types as t
from api.errors import BadRequest
from api.policies import default_types as rules
from api.request import ApiCall
from api.spec import Req, Routes
from db import api as db
from db import errors as db_errors
from db.records import DefaultVolumeType

SINCE = 62  # DEFAULT_TYPE_OVERRIDES
routes = Routes("/v3/default-types", tag="default-types", path_params={"target_project_id": t.text(min_len=1)})

_ONE = t.obj({"project_id": t.NAME, "volume_type_id": t.NAME}, required=["project_id", "volume_type_id"])
SET_BODY = t.obj({"default_type": t.obj({"volume_type": t.text(min_len=1)}, required=["volume_type"], extra=False)},
                 required=["default_type"], extra=False)


def _view(chosen: DefaultVolumeType) -> dict[str, str]:
    return {"project_id": chosen.project_id, "volume_type_id": chosen.volume_type_id}


@routes.put("/{target_project_id}", name="set_default_type", summary="Set or change a project's default volume type.",
            body=SET_BODY, response=t.obj({"default_type": _ONE}, required=["default_type"]), since=SINCE,
            policy=rules.SET)
def set_default(call: ApiCall, req: Req, target_project_id: str) -> Response:
    ref = req.body["default_type"]["volume_type"]
    try:
        volume_type = db.type_get_by_name_or_id(ref)
        chosen = db.default_type_set(target_project_id, volume_type.id)
    except db_errors.NotFound as exc:  # Cinder answers an unknown type with 400 here
        raise BadRequest(f"Volume type {ref} could not be found.") from exc
    return responses.json({"default_type": _view(chosen)})


@routes.get("/{target_project_id}", name="show_default_type", summary="A project's default volume type.",
            response=t.obj({"default_type": _ONE}, required=["default_type"]), since=SINCE, policy=rules.GET)
def show_default(call: ApiCall, req: Req, target_project_id: str) -> Response:
    chosen = db.default_type_get(target_project_id)
    if chosen is None:
        raise db_errors.NotFound("Default type for project", target_project_id)
    return responses.json({"default_type": _view(chosen)})


@routes.get("", name="list_default_types", summary="Every project's default volume type (cloud admin).",
            response=t.obj({"default_types": t.array(_ONE)}, required=["default_types"]), since=SINCE,
            policy=rules.GET_ALL)
def list_defaults(call: ApiCall, req: Req) -> Response:
    return responses.json({"default_types": [_view(chosen) for chosen in db.default_type_list()]})


@routes.delete("/{target_project_id}", name="unset_default_type", success=204,
               summary="Unset a project's default volume type (none set is no error, as Cinder).", since=SINCE,
               policy=rules.UNSET)
def unset_default(call: ApiCall, req: Req, target_project_id: str) -> Response:
    db.default_type_unset(target_project_id)
    return responses.no_content()
