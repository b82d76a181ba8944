"""/v3/volumes: create, list, show, update, delete, and the volume actions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from starlette.datastructures import QueryParams
from starlette.responses import Response

from api import listing, responses, schemas
from api import validation as v
from api.actions import volumes as actions
from api.errors import BadRequest
from api.request import ApiCall, Call, JsonBody
from api.views import volumes as views
from db import api as db
from db.records import Volume
from volume.states import ATTACH_RESETTABLE, RESETTABLE, MigrationStatus

router = APIRouter(prefix="/v3/volumes")

SORT_KEYS = {"id": "id", "name": "name", "display_name": "name", "status": "status", "size": "size_gb",
             "created_at": "created_at", "updated_at": "updated_at", "availability_zone": "availability_zone",
             "bootable": "bootable", "project_id": "project_id", "host": "host", "volume_type": "volume_type_id"}
MIGRATION_STATUSES = frozenset(MigrationStatus)
ADMIN_ACTIONS = {"os-reset_status": "volume_extension:volume_admin_actions:reset_status",
                 "os-force_delete": "volume_extension:volume_admin_actions:force_delete"}


@router.post("")
def create(call: Call, body: JsonBody) -> Response:
    volume = actions.create(call, schemas.parse_volume_create(body, call.minor))
    return responses.json({"volume": views.detail(call, volume)}, 202)


@router.get("")
def index(call: Call, request: Request) -> Response:
    return _list(call, request.query_params, views.summary, "/volumes")


@router.get("/detail")
def detail(call: Call, request: Request) -> Response:
    return _list(call, request.query_params, views.detail, "/volumes/detail")


def _list(call: ApiCall, query: QueryParams, view: Callable[[ApiCall, Volume], dict[str, Any]],
          path: str) -> Response:
    return listing.page(call, query, key="volumes", path=path, sort_keys=SORT_KEYS, filters=_filters,
                        fetch=db.volume_list, count=db.volume_count, view=view)


def _filters(query: QueryParams) -> dict[str, Any]:
    filters: dict[str, Any] = {}
    for key in ("name", "name~", "status", "availability_zone"):
        if key in query:
            filters[key] = query[key]
    if "display_name" in query:
        filters["name"] = query["display_name"]
    if "bootable" in query:
        filters["bootable"] = v.boolean(query["bootable"], "bootable")
    return filters


@router.get("/{volume_id}")
def show(volume_id: str, call: Call) -> Response:
    return responses.json({"volume": views.detail(call, actions.get(call, volume_id))})


@router.put("/{volume_id}")
def update(volume_id: str, call: Call, body: JsonBody) -> Response:
    volume = actions.update(call, volume_id, values=schemas.parse_volume_update(body, call.minor))
    return responses.json({"volume": views.detail(call, volume)})


@router.delete("/{volume_id}")
def delete(volume_id: str, call: Call, request: Request) -> Response:
    cascade = v.query_bool(request.query_params.get("cascade"), "cascade")
    actions.delete(call, volume_id, cascade=cascade)
    return responses.accepted()


@router.post("/{volume_id}/action")
def action(volume_id: str, call: Call, body: JsonBody) -> Response:
    name, raw_args = schemas.parse_action(body)
    if name in ADMIN_ACTIONS:
        call.require_admin(ADMIN_ACTIONS[name])
    handler = _ACTIONS.get(name)
    if handler is None:
        raise BadRequest(f"There is no such action: {name}")
    return handler(call, volume_id, schemas.action_args(name, raw_args))


def _extend(call: ApiCall, volume_id: str, args: dict[str, Any]) -> Response:
    actions.extend(call, volume_id, new_size_gb=v.size(args.get("new_size"), "new_size"))
    return responses.accepted()


def _reset_status(call: ApiCall, volume_id: str, args: dict[str, Any]) -> Response:
    v.only(args, {"status", "attach_status", "migration_status"}, "os-reset_status")
    status = args.get("status")
    if status is not None and status not in RESETTABLE:
        raise v.invalid("status", status, f"It must be one of {', '.join(sorted(RESETTABLE))}.")
    values: dict[str, Any] = {}
    if args.get("attach_status") is not None:
        if args["attach_status"] not in ATTACH_RESETTABLE:
            raise v.invalid("attach_status", args["attach_status"],
                            f"It must be {' or '.join(sorted(ATTACH_RESETTABLE))}.")
        values["attach_status"] = args["attach_status"]
    if args.get("migration_status") is not None:
        if args["migration_status"] not in MIGRATION_STATUSES:
            raise v.invalid("migration_status", args["migration_status"],
                            f"It must be one of {', '.join(sorted(MIGRATION_STATUSES))}.")
        values["migration_status"] = (None if args["migration_status"] == MigrationStatus.NONE
                                      else args["migration_status"])
    if status is None and not values:
        raise BadRequest("Must specify 'status', 'attach_status' or 'migration_status' for update.")
    actions.reset_status(call, volume_id, status=status, values=values)
    return responses.accepted()


def _force_delete(call: ApiCall, volume_id: str, args: dict[str, Any]) -> Response:
    actions.force_delete(call, volume_id)
    return responses.accepted()


def _set_bootable(call: ApiCall, volume_id: str, args: dict[str, Any]) -> Response:
    if "bootable" not in args:
        raise BadRequest("Invalid input for field/attribute bootable. It is required.")
    actions.set_bootable(call, volume_id, bootable=v.boolean(args["bootable"], "bootable"))
    return Response(status_code=200)


_ACTIONS: dict[str, Callable[[ApiCall, str, dict[str, Any]], Response]] = {
    "os-extend": _extend,
    "os-reset_status": _reset_status,
    "os-force_delete": _force_delete,
    "os-set_bootable": _set_bootable,
}
