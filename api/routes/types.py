"""/v3/types: volume types and their extra specs (writes are admin only)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from api import paging, responses
from api import schema_types as t
from api.actions import types as actions
from api.errors import BadRequest
from api.policies import volume_type as rules
from api.request import ApiCall
from api.spec import Action, Param, Req, Routes
from api.views import types as views
from db import api as db
from db import errors as db_errors
from db.api.types import SORT_KEYS as DB_SORT_KEYS
from db.records import VolumeType

routes = Routes("/v3/types", tag="types",
                path_params={"type_id": t.text(), "key": {"type": "string", "pattern": t.METADATA_KEY}})

SORT_KEYS = {key: key for key in DB_SORT_KEYS}
# python-cinderclient sends is_public=None for "every type"
IS_PUBLIC: t.JsonSchema = {"type": "string", "enum": sorted({*t.TRUE_WORDS, *t.FALSE_WORDS, "None", "none"})}
LIST_PARAMS = (*paging.params(SORT_KEYS),
               Param("is_public", IS_PUBLIC, "Admins: only public (true) or private (false) types; None: all."))

_TYPE_NAME = t.text(min_len=1)
EXTRA_SPECS = t.METADATA
CREATE_BODY = t.obj({"volume_type": t.obj({
    "name": _TYPE_NAME, "description": t.DESCRIPTION, "os-volume-type-access:is_public": t.BOOLEAN,
    "extra_specs": EXTRA_SPECS}, required=["name"], extra=False)}, required=["volume_type"])
UPDATE_BODY = t.obj({"volume_type": t.obj({
    "name": t.nullable(_TYPE_NAME), "description": t.DESCRIPTION, "is_public": t.nullable(t.BOOLEAN)},
    extra=False)}, required=["volume_type"])
SPECS_BODY = t.obj({"extra_specs": EXTRA_SPECS}, required=["extra_specs"])
SPEC_BODY = {**EXTRA_SPECS, "minProperties": 1, "maxProperties": 1}
TYPE_LINKS = {"show_type": {"type_id": "$response.body#/volume_type/id"},
              "delete_type": {"type_id": "$response.body#/volume_type/id"},
              "list_extra_specs": {"type_id": "$response.body#/volume_type/id"}}


def _find(call: ApiCall, ref: str) -> VolumeType:
    """By id or name; ``default`` is the configured default type. Private types only for admins."""
    return actions.visible(call, actions.default_ref(call) if ref == "default" else ref)


@routes.get("", name="list_types", summary="List volume types.", query=LIST_PARAMS, response=views.LIST,
            policy=rules.GET_ALL)
def index(call: ApiCall, req: Req) -> Response:
    paged = paging.parse(req.query, sort_keys=SORT_KEYS, max_limit=call.settings.max_limit,
                         default_sort=[("name", "asc")])
    wanted = req.query.get("is_public")
    public = t.truthy(wanted) if call.is_admin and wanted not in (None, "None", "none") else None
    types = db.type_list(include_private=call.is_admin, is_public=public, sort=paged.sort, limit=paged.limit,
                         marker=paged.marker, offset=paged.offset, shared_with=call.project_id)
    body: dict[str, Any] = {"volume_types": [views.detail(call, vt) for vt in types]}
    body.update(paging.next_links(call, req.raw_query, collection_path="/types", page=paged, rows=types,
                                  key="volume_types"))
    return responses.json(body)


@routes.get("/{type_id}", name="show_type", summary="Show a volume type (by id, name or 'default').",
            response=views.ONE, policy=rules.GET)
def show(call: ApiCall, req: Req, type_id: str) -> Response:
    return responses.json({"volume_type": views.detail(call, _find(call, type_id))})


@routes.post("", name="create_type", summary="Create a volume type.", body=CREATE_BODY, response=views.ONE,
             policy=rules.CREATE, links=TYPE_LINKS)
def create(call: ApiCall, req: Req) -> Response:
    spec = req.body["volume_type"]
    name = _name(spec["name"])
    public = spec.get("os-volume-type-access:is_public")
    volume_type = db.type_create(name=name, description=spec.get("description"),
                                 is_public=True if public is None else t.truthy(public),
                                 extra_specs=dict(spec.get("extra_specs") or {}))
    call.type_names.invalidate()
    return responses.json({"volume_type": views.detail(call, volume_type, answer="create")})


def _name(name: str) -> str:
    if not name.strip():
        raise BadRequest(f"Invalid input for field/attribute name. Value: {name!r}. It must not be blank.")
    return name.strip()


@routes.put("/{type_id}", name="update_type", summary="Change a volume type's name, description or visibility.",
            body=UPDATE_BODY, response=views.ONE, policy=rules.UPDATE)
def update(call: ApiCall, req: Req, type_id: str) -> Response:
    spec = req.body["volume_type"]
    values: dict[str, Any] = {}
    if spec.get("name") is not None:
        values["name"] = _name(spec["name"])
    if "description" in spec:
        values["description"] = spec["description"]
    if spec.get("is_public") is not None:
        values["is_public"] = t.truthy(spec["is_public"])
    if not values:
        raise BadRequest("Specify volume type name, description, is_public or a combination thereof.")
    volume_type = db.type_update(_find(call, type_id).id, **values)
    call.type_names.invalidate()
    return responses.json({"volume_type": views.detail(call, volume_type, answer="update")})


@routes.delete("/{type_id}", name="delete_type", summary="Delete a volume type no volume uses.", success=202,
               policy=rules.DELETE)
def delete(call: ApiCall, req: Req, type_id: str) -> Response:
    volume_type = _find(call, type_id)
    if call.settings.default_volume_type in (volume_type.name, volume_type.id):
        raise BadRequest("Default volume type can not be deleted.")
    db.type_delete(volume_type.id)
    call.type_names.invalidate()
    return responses.accepted()


@routes.get("/{type_id}/extra_specs", name="list_extra_specs", summary="A volume type's extra specs.",
            response=views.EXTRA_SPECS, policy=rules.SPECS_INDEX)
def specs_index(call: ApiCall, req: Req, type_id: str) -> Response:
    return responses.json({"extra_specs": views.readable_specs(call, _find(call, type_id).extra_specs)})


@routes.post("/{type_id}/extra_specs", name="set_extra_specs", summary="Add or change extra specs.",
             body=SPECS_BODY, response=views.EXTRA_SPECS, policy=rules.SPECS_CREATE)
def specs_create(call: ApiCall, req: Req, type_id: str) -> Response:
    specs = dict(req.body["extra_specs"])
    db.extra_specs_set(_find(call, type_id).id, specs)
    return responses.json({"extra_specs": specs})


@routes.get("/{type_id}/extra_specs/{key}", name="show_extra_spec", summary="One extra spec.",
            response=t.STRING_MAP, policy=rules.SPECS_SHOW)
def spec_show(call: ApiCall, req: Req, type_id: str, key: str) -> Response:
    specs = views.readable_specs(call, _find(call, type_id).extra_specs)
    if key not in specs:
        raise db_errors.NotFound("Volume type extra spec", key)
    return responses.json({key: specs[key]})


@routes.put("/{type_id}/extra_specs/{key}", name="update_extra_spec", summary="Set one extra spec.",
            body=SPEC_BODY, response=t.STRING_MAP, policy=rules.SPECS_UPDATE)
def spec_update(call: ApiCall, req: Req, type_id: str, key: str) -> Response:
    if key not in req.body:
        raise BadRequest("Request body and URI mismatch")
    db.extra_specs_set(_find(call, type_id).id, dict(req.body))
    return responses.json(dict(req.body))


@routes.delete("/{type_id}/extra_specs/{key}", name="delete_extra_spec", summary="Remove one extra spec.",
               success=202, policy=rules.SPECS_DELETE)
def spec_delete(call: ApiCall, req: Req, type_id: str, key: str) -> Response:
    db.extra_spec_delete(_find(call, type_id).id, key)
    return responses.accepted()


# -- type access: the projects a private type is shared with (Cinder's os-volume-type-access) ----------

ACCESS_LIST = t.obj({"volume_type_access": t.array(t.obj({"volume_type_id": t.STRING, "project_id": t.STRING},
                                                         required=["volume_type_id", "project_id"]))},
                    required=["volume_type_access"])
ACCESS_ARGS = t.obj({"project": t.text(min_len=1)}, required=["project"], extra=False)


def _private(call: ApiCall, type_id: str) -> VolumeType:
    volume_type = _find(call, type_id)
    if volume_type.is_public:
        raise BadRequest("Invalid volume type: Type access modification is not applicable to public volume type.")
    return volume_type


@routes.get("/{type_id}/os-volume-type-access", name="list_type_access",
            summary="The projects a private volume type is shared with.", response=ACCESS_LIST,
            policy=rules.ACCESS_LIST)
def list_access(call: ApiCall, req: Req, type_id: str) -> Response:
    volume_type = _find(call, type_id)
    if volume_type.is_public:
        raise db_errors.NotFound("Access list for public volume type", volume_type.id)
    return responses.json({"volume_type_access": [{"volume_type_id": volume_type.id, "project_id": project}
                                                  for project in db.type_access_list(volume_type.id)]})


def _add_access(call: ApiCall, args: dict[str, Any], type_id: str) -> Response:
    db.type_access_add(_private(call, type_id).id, args["project"])
    return responses.accepted()


def _remove_access(call: ApiCall, args: dict[str, Any], type_id: str) -> Response:
    db.type_access_remove(_private(call, type_id).id, args["project"])
    return responses.accepted()


routes.actions("/{type_id}/action", [
    Action("addProjectAccess", ACCESS_ARGS, _add_access, 202, "Share a private type with a project.",
           policy=rules.ACCESS_ADD),
    Action("removeProjectAccess", ACCESS_ARGS, _remove_access, 202, "Stop sharing a private type with a project.",
           policy=rules.ACCESS_REMOVE),
], name="type_action", summary="Change who may use a private volume type.", policy=rules.GET)
