"""/v3/group_snapshots (3.14): snapshots of every volume of a group, taken together."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.responses import Response

from api import listing, paging, responses
from api import schema_types as t
from api.actions import group_snapshots as actions
from api.policies import groups as rules
from api.request import ApiCall
from api.spec import Action, Param, Req, Routes
from api.views import group_snapshots as views
from db import api as db
from volume.states.groups import GROUP_SNAPSHOT_RESETTABLE

SINCE = 14
RESET_SINCE = 19

routes = Routes("/v3/group_snapshots", tag="group snapshots", path_params={"group_snapshot_id": t.ID})

SORT_KEYS = {key: key for key in ("id", "name", "status", "created_at", "updated_at", "group_id", "project_id")}
LIST_PARAMS = (*paging.params(SORT_KEYS), *paging.PROJECT_PARAMS,
               Param("name", t.text(), "Only group snapshots with exactly this name."),
               Param("status", t.text(), "Only group snapshots in this status."),
               Param("group_id", t.ID, "Only group snapshots of this group."))
CREATE_BODY = t.obj({"group_snapshot": t.obj({"group_id": t.ID, "name": t.NAME, "description": t.DESCRIPTION},
                                             required=["group_id"], extra=False)}, required=["group_snapshot"])
RESET_ARGS = t.obj({"status": t.one_of(GROUP_SNAPSHOT_RESETTABLE)}, required=["status"], extra=False)
LINKS = {"show_group_snapshot": {"group_snapshot_id": "$response.body#/group_snapshot/id"},
         "delete_group_snapshot": {"group_snapshot_id": "$response.body#/group_snapshot/id"}}


def _filters(query: Mapping[str, Any]) -> dict[str, Any]:
    return {key: query[key] for key in ("name", "status", "group_id") if key in query}


def _stripped(value: str | None) -> str | None:
    return value.strip() if value else value


@routes.post("", name="create_group_snapshot", summary="Snapshot every volume of a group at once.", success=202,
             body=CREATE_BODY, response=views.ONE_SUMMARY, since=SINCE, policy=rules.SNAPSHOT_CREATE, links=LINKS,
             casts=True)
def create(call: ApiCall, req: Req) -> Response:
    body = req.body["group_snapshot"]
    created = actions.create(call, group_id=body["group_id"], name=_stripped(body.get("name")),
                             description=_stripped(body.get("description")))
    return responses.json({"group_snapshot": views.summary(call, created)}, 202)


@routes.get("", name="list_group_snapshots", summary="List group snapshots.", query=LIST_PARAMS,
            response=views.listing(views.SUMMARY), since=SINCE, policy=rules.SNAPSHOT_GET_ALL)
def index(call: ApiCall, req: Req) -> Response:
    return listing.page(call, req, key="group_snapshots", path="/group_snapshots", sort_keys=SORT_KEYS,
                        filters=_filters, fetch=db.group_snapshot_list, count=None, view=views.summary)


@routes.get("/detail", name="list_group_snapshots_detail", summary="List group snapshots with every field.",
            query=LIST_PARAMS, response=views.listing(views.DETAIL), since=SINCE, policy=rules.SNAPSHOT_GET_ALL)
def detail(call: ApiCall, req: Req) -> Response:
    return listing.page(call, req, key="group_snapshots", path="/group_snapshots/detail", sort_keys=SORT_KEYS,
                        filters=_filters, fetch=db.group_snapshot_list, count=None, view=views.detail)


@routes.get("/{group_snapshot_id}", name="show_group_snapshot", summary="Show a group snapshot.",
            response=views.ONE, since=SINCE, policy=rules.SNAPSHOT_GET)
def show(call: ApiCall, req: Req, group_snapshot_id: str) -> Response:
    return responses.json({"group_snapshot": views.detail(call, actions.get(call, group_snapshot_id))})


@routes.delete("/{group_snapshot_id}", name="delete_group_snapshot", summary="Delete a group snapshot and its "
               "members.", success=202, since=SINCE, policy=rules.SNAPSHOT_DELETE, casts=True)
def delete(call: ApiCall, req: Req, group_snapshot_id: str) -> Response:
    actions.delete(call, group_snapshot_id)
    return responses.accepted()


def _reset(call: ApiCall, args: dict[str, Any], group_snapshot_id: str) -> Response:
    actions.reset_status(call, group_snapshot_id, status=args["status"])
    return responses.accepted()


routes.actions("/{group_snapshot_id}/action", [
    Action("reset_status", RESET_ARGS, _reset, 202, "Set a group snapshot's status (admin).",
           policy=rules.SNAPSHOT_RESET_STATUS, since=RESET_SINCE),
], name="group_snapshot_action", summary="Act on a group snapshot.", since=SINCE, policy=rules.SNAPSHOT_GET)
