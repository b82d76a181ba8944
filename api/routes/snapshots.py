"""/v3/snapshots: create, list, show, update, delete, and the admin actions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from starlette.datastructures import QueryParams
from starlette.responses import Response

from api import listing, responses, schemas
from api import validation as v
from api.actions import snapshots as actions
from api.errors import BadRequest
from api.request import ApiCall, Call, JsonBody
from api.views import snapshots as views
from db import api as db
from db.records import Snapshot
from volume.states import SNAPSHOT_RESETTABLE

router = APIRouter(prefix="/v3/snapshots")

SORT_KEYS = {"id": "id", "name": "name", "display_name": "name", "status": "status", "size": "size_gb",
             "created_at": "created_at", "updated_at": "updated_at", "volume_id": "volume_id",
             "project_id": "project_id"}
ADMIN_ACTIONS = {"os-reset_status": "volume_extension:snapshot_admin_actions:reset_status",
                 "os-force_delete": "volume_extension:snapshot_admin_actions:force_delete"}


@router.post("")
def create(call: Call, body: JsonBody) -> Response:
    snapshot = actions.create(call, schemas.parse_snapshot_create(body))
    return responses.json({"snapshot": views.detail(call, snapshot)}, 202)


@router.get("")
def index(call: Call, request: Request) -> Response:
    return _list(call, request.query_params, views.summary, "/snapshots")


@router.get("/detail")
def detail(call: Call, request: Request) -> Response:
    return _list(call, request.query_params, views.detail, "/snapshots/detail")


def _list(call: ApiCall, query: QueryParams, view: Callable[[ApiCall, Snapshot], dict[str, Any]],
          path: str) -> Response:
    return listing.page(call, query, key="snapshots", path=path, sort_keys=SORT_KEYS, filters=_filters,
                        fetch=db.snapshot_list, count=db.snapshot_count, view=view)


def _filters(query: QueryParams) -> dict[str, Any]:
    filters = {key: query[key] for key in ("name", "status", "volume_id") if key in query}
    if "display_name" in query:
        filters["name"] = query["display_name"]
    return filters


@router.get("/{snapshot_id}")
def show(snapshot_id: str, call: Call) -> Response:
    return responses.json({"snapshot": views.detail(call, actions.get(call, snapshot_id))})


@router.put("/{snapshot_id}")
def update(snapshot_id: str, call: Call, body: JsonBody) -> Response:
    snapshot = actions.update(call, snapshot_id, values=schemas.parse_snapshot_update(body))
    return responses.json({"snapshot": views.detail(call, snapshot)})


@router.delete("/{snapshot_id}")
def delete(snapshot_id: str, call: Call) -> Response:
    actions.delete(call, snapshot_id)
    return responses.accepted()


@router.post("/{snapshot_id}/action")
def action(snapshot_id: str, call: Call, body: JsonBody) -> Response:
    name, raw_args = schemas.parse_action(body)
    if name not in ADMIN_ACTIONS:
        raise BadRequest(f"There is no such action: {name}")
    call.require_admin(ADMIN_ACTIONS[name])
    args = schemas.action_args(name, raw_args)
    if name == "os-force_delete":
        actions.force_delete(call, snapshot_id)
        return responses.accepted()
    v.only(args, {"status"}, "os-reset_status")
    status = args.get("status")
    if status not in SNAPSHOT_RESETTABLE:
        raise v.invalid("status", status, f"It must be one of {', '.join(sorted(SNAPSHOT_RESETTABLE))}.")
    actions.reset_status(call, snapshot_id, status=status)
    return responses.accepted()
