"""/v3/types: volume types and their extra specs (writes are admin only)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from api import responses
from api import validation as v
from api.actions import types as actions
from api.errors import BadRequest
from api.request import ApiCall, Call, JsonBody
from api.views import types as views
from db import api as db
from db import errors as db_errors
from db.records import VolumeType

router = APIRouter(prefix="/v3/types")

MANAGE = "volume_extension:type"
SPECS = "volume_extension:types_extra_specs"


def _find(call: ApiCall, ref: str) -> VolumeType:
    """By id or name; ``default`` is the configured default type. Private types only for admins."""
    return actions.visible(call, call.settings.default_volume_type if ref == "default" else ref)


@router.get("")
def index(call: Call, request: Request) -> Response:
    types = db.type_list(include_private=call.is_admin)
    wanted = request.query_params.get("is_public")
    if call.is_admin and wanted is not None and wanted.lower() != "none":
        public = v.boolean(wanted, "is_public")
        types = [t for t in types if t.is_public == public]
    return responses.json({"volume_types": [views.detail(call, t) for t in types]})


@router.get("/{type_id}")
def show(type_id: str, call: Call) -> Response:
    return responses.json({"volume_type": views.detail(call, _find(call, type_id))})


@router.post("")
def create(call: Call, body: JsonBody) -> Response:
    call.require_admin(f"{MANAGE}_create")
    spec = v.section(body, "volume_type")
    v.only(spec, {"name", "description", "os-volume-type-access:is_public", "extra_specs"}, "volume_type")
    name = _name(spec, required=True)
    assert name is not None
    public = spec.get("os-volume-type-access:is_public")
    volume_type = db.type_create(
        name=name, description=v.text(spec, "description"),
        is_public=v.boolean(public, "os-volume-type-access:is_public") if public is not None else True,
        extra_specs=v.metadata(spec.get("extra_specs"), "extra_specs"))
    call.type_names.invalidate()
    return responses.json({"volume_type": views.detail(call, volume_type)})


def _name(spec: dict[str, Any], *, required: bool) -> str | None:
    name = v.text(spec, "name", required=required)
    if name is not None:
        name = name.strip()
        if not name:
            raise v.invalid("name", spec["name"], "It must not be empty or blank.")
    return name


@router.put("/{type_id}")
def update(type_id: str, call: Call, body: JsonBody) -> Response:
    call.require_admin(f"{MANAGE}_update")
    spec = v.section(body, "volume_type")
    v.only(spec, {"name", "description", "is_public"}, "volume_type")
    values: dict[str, Any] = {}
    if spec.get("name") is not None:
        values["name"] = _name(spec, required=True)
    if "description" in spec:
        values["description"] = v.text(spec, "description")
    if spec.get("is_public") is not None:
        values["is_public"] = v.boolean(spec["is_public"], "is_public")
    if not values:
        raise BadRequest("Specify volume type name, description, is_public or a combination thereof.")
    volume_type = db.type_update(_find(call, type_id).id, **values)
    call.type_names.invalidate()
    return responses.json({"volume_type": views.detail(call, volume_type)})


@router.delete("/{type_id}")
def delete(type_id: str, call: Call) -> Response:
    call.require_admin(f"{MANAGE}_delete")
    volume_type = _find(call, type_id)
    if volume_type.name == call.settings.default_volume_type or volume_type.id == call.settings.default_volume_type:
        raise BadRequest("Default volume type can not be deleted.")
    db.type_delete(volume_type.id)
    call.type_names.invalidate()
    return responses.accepted()


@router.get("/{type_id}/extra_specs")
def specs_index(type_id: str, call: Call) -> Response:
    call.require_admin(f"{SPECS}:index")
    return responses.json({"extra_specs": _find(call, type_id).extra_specs})


@router.post("/{type_id}/extra_specs")
def specs_create(type_id: str, call: Call, body: JsonBody) -> Response:
    call.require_admin(f"{SPECS}:create")
    if not isinstance(body, dict) or "extra_specs" not in body:
        raise BadRequest("Missing required element 'extra_specs' in request body.")
    specs = v.metadata(body["extra_specs"], "extra_specs")
    db.extra_specs_set(_find(call, type_id).id, specs)
    return responses.json({"extra_specs": specs})


@router.get("/{type_id}/extra_specs/{key}")
def spec_show(type_id: str, key: str, call: Call) -> Response:
    call.require_admin(f"{SPECS}:show")
    specs = _find(call, type_id).extra_specs
    if key not in specs:
        raise db_errors.NotFound("Volume type extra spec", key)
    return responses.json({key: specs[key]})


@router.put("/{type_id}/extra_specs/{key}")
def spec_update(type_id: str, key: str, call: Call, body: JsonBody) -> Response:
    call.require_admin(f"{SPECS}:update")
    if not isinstance(body, dict) or len(body) != 1 or key not in body:
        raise BadRequest("Request body and URI mismatch")
    specs = v.metadata(body, "extra_specs")
    db.extra_specs_set(_find(call, type_id).id, specs)
    return responses.json(specs)


@router.delete("/{type_id}/extra_specs/{key}")
def spec_delete(type_id: str, key: str, call: Call) -> Response:
    call.require_admin(f"{SPECS}:delete")
    db.extra_spec_delete(_find(call, type_id).id, key)
    return responses.accepted()
