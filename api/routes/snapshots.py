"""/v3/snapshots: create, list, show, update, delete, and the admin actions."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from starlette.responses import Response

from api import listing, paging, responses, schemas
from api import schema_types as t
from api.actions import snapshots as actions
from api.policies import manageable as manage_rules
from api.policies import snapshots as rules
from api.request import ApiCall
from api.spec import Action, Param, Req, Routes
from api.views import snapshots as views
from db import api as db
from db.records import Snapshot

routes = Routes("/v3/snapshots", tag="snapshots", path_params={"snapshot_id": t.ID})

SORT_KEYS = {"id": "id", "name": "name", "display_name": "name", "status": "status", "size": "size_gb",
             "created_at": "created_at", "updated_at": "updated_at", "volume_id": "volume_id",
             "project_id": "project_id"}
FILTER_PARAMS = (
    Param("name", t.text(), "Only snapshots with exactly this name."),
    Param("display_name", t.text(), "The same as name."),
    Param("status", t.text(), "Only snapshots in this status."),
    Param("volume_id", t.ID, "Only snapshots of this volume."),
    listing.METADATA_PARAM,
)
LIST_PARAMS = (*paging.params(SORT_KEYS), paging.COUNT_PARAM, *paging.PROJECT_PARAMS, *FILTER_PARAMS)
SHOW_LINKS = {"show_snapshot": {"snapshot_id": "$response.body#/snapshot/id"},
              "delete_snapshot": {"snapshot_id": "$response.body#/snapshot/id"},
              "update_snapshot": {"snapshot_id": "$response.body#/snapshot/id"}}


@routes.post("", name="create_snapshot", summary="Snapshot a volume.", success=202, body=schemas.SNAPSHOT_CREATE,
             response=views.ONE, links=SHOW_LINKS, casts=True, policy=rules.CREATE)
def create(call: ApiCall, req: Req) -> Response:
    snapshot = actions.create(call, schemas.parse_snapshot_create(req.body))
    return responses.json({"snapshot": views.detail(call, snapshot, extended=False)}, 202)


@routes.get("", name="list_snapshots", summary="List snapshots.", query=LIST_PARAMS,
            response=views.listing(views.SUMMARY), policy=rules.GET_ALL)
def index(call: ApiCall, req: Req) -> Response:
    return _list(call, req, views.summary, "/snapshots")


@routes.get("/detail", name="list_snapshots_detail", summary="List snapshots with every field.",
            query=LIST_PARAMS, response=views.listing(views.DETAIL), policy=rules.GET_ALL)
def detail(call: ApiCall, req: Req) -> Response:
    return _list(call, req, views.detail, "/snapshots/detail")


def _list(call: ApiCall, req: Req, view: Callable[[ApiCall, Snapshot], dict[str, Any]], path: str) -> Response:
    return listing.page(call, req, key="snapshots", path=path, sort_keys=SORT_KEYS, filters=_filters,
                        fetch=db.snapshot_list, count=db.snapshot_count, view=view)


def _filters(query: Mapping[str, Any]) -> dict[str, Any]:
    filters = {key: query[key] for key in ("name", "status", "volume_id") if key in query}
    if "display_name" in query:
        filters["name"] = query["display_name"]
    return filters


@routes.get("/{snapshot_id}", name="show_snapshot", summary="Show a snapshot.", response=views.ONE,
            policy=rules.GET)
def show(call: ApiCall, req: Req, snapshot_id: str) -> Response:
    return responses.json({"snapshot": views.detail(call, actions.get(call, snapshot_id))})


@routes.put("/{snapshot_id}", name="update_snapshot", summary="Change a snapshot's name, description or metadata.",
            body=schemas.SNAPSHOT_UPDATE, response=views.ONE, policy=rules.UPDATE)
def update(call: ApiCall, req: Req, snapshot_id: str) -> Response:
    values = schemas.described_values(req.body["snapshot"], "snapshot", strict=True)
    return responses.json({"snapshot": views.detail(call, actions.update(call, snapshot_id, values=values), extended=False)})


@routes.delete("/{snapshot_id}", name="delete_snapshot", summary="Delete a snapshot.", success=202, casts=True,
               policy=rules.DELETE)
def delete(call: ApiCall, req: Req, snapshot_id: str) -> Response:
    actions.delete(call, snapshot_id)
    return responses.accepted()


def _reset_status(call: ApiCall, args: dict[str, Any], snapshot_id: str) -> Response:
    actions.reset_status(call, snapshot_id, status=args["status"])
    return responses.accepted()


def _update_status(call: ApiCall, args: dict[str, Any], snapshot_id: str) -> Response:
    actions.update_status(call, snapshot_id, status=args["status"], progress=args.get("progress"))
    return responses.accepted()


def _force_delete(call: ApiCall, args: dict[str, Any], snapshot_id: str) -> Response:
    actions.force_delete(call, snapshot_id)
    return responses.accepted()


def _unmanage(call: ApiCall, args: dict[str, Any], snapshot_id: str) -> Response:
    actions.unmanage(call, snapshot_id)
    return responses.accepted()


routes.actions("/{snapshot_id}/action", [
    Action("os-unmanage", schemas.NO_ARGS, _unmanage, 202,
           "Admin: forget the snapshot and give back its quota; its data stays on the storage.",
           policy=manage_rules.SNAPSHOT_UNMANAGE),
    Action("os-reset_status", schemas.SNAPSHOT_RESET_ARGS, _reset_status, 202,
           "Admin: set the status; refused while a service works on the snapshot.",
           policy=rules.RESET_STATUS),
    Action("os-force_delete", schemas.NO_ARGS, _force_delete, 202,
           "Admin: delete whatever the status; refused while a service works on the snapshot.",
           policy=rules.FORCE_DELETE),
    Action("os-update_snapshot_status", schemas.SNAPSHOT_STATUS_ARGS, _update_status, 202,
           "Nova's report on a snapshot it makes: creating to available or error, deleting to error_deleting.",
           policy=rules.UPDATE_STATUS),
], name="snapshot_action", summary="Run one snapshot admin action.", casts=True,
               policy=rules.GET)
