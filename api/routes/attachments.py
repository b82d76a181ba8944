"""/v3/attachments (3.27): reserve, connect, complete (3.44), delete, list and show attachments."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.responses import Response

from api import listing, paging, responses, schemas
from api import schema_types as t
from api.actions import attachments as actions
from api.actions import qos as qos_actions
from api.errors import BadRequest
from api.policies import attachments as rules
from api.request import ApiCall
from api.spec import Action, Param, Req, Routes
from api.views import attachments as views
from db import api as db
from db.records import Attachment, Volume
from volume.states.attachments import SHOWN_ATTACHMENT_STATUSES, stored_attachment_statuses

SINCE = 27
COMPLETE_SINCE = 44
MODE_SINCE = 54

routes = Routes("/v3/attachments", tag="attachments", path_params={"attachment_id": t.ID})

SORT_KEYS = {"id": "id", "status": "status", "created_at": "created_at", "updated_at": "updated_at",
             "volume_id": "volume_id", "instance_id": "instance_uuid"}
_STATUS = t.one_of(SHOWN_ATTACHMENT_STATUSES)
FILTER_PARAMS = (
    Param("volume_id", t.ID, "Only attachments of this volume."),
    Param("instance_id", t.ID, "Only attachments of this server."),
    Param("status", _STATUS, "Only attachments in this status."),
    Param("attach_status", _STATUS, "The same as status."),
)
LIST_PARAMS = (*paging.params(SORT_KEYS), paging.COUNT_PARAM, *paging.PROJECT_PARAMS, *FILTER_PARAMS)
SHOW_LINKS = {"show_attachment": {"attachment_id": "$response.body#/attachment/id"},
              "delete_attachment": {"attachment_id": "$response.body#/attachment/id"},
              "update_attachment": {"attachment_id": "$response.body#/attachment/id"},
              "attachment_action": {"attachment_id": "$response.body#/attachment/id"}}


def _detail(call: ApiCall, attachment: Attachment) -> dict[str, Any]:
    return _detail_with(call, attachment, db.volume_get(attachment.volume_id))


def _detail_with(call: ApiCall, attachment: Attachment, volume: Volume | None) -> dict[str, Any]:
    """The attachment's body; its connection_info (target, CHAP secret) only for the callers of
    ``ember:attachment_connection_info`` on its project, the others read null."""
    specs = call.type_names.extra_specs(volume.volume_type_id) if volume is not None else {}
    allowed = call.allowed(rules.CONNECTION_INFO, attachment.project_id)
    return views.detail(attachment, volume, specs, with_connection_info=allowed,
                        qos_specs=qos_actions.connection_qos(call, volume) if allowed else None)


@routes.post("", name="create_attachment", summary="Reserve a volume for a server; with a connector, connect it "
             "at once and return its connection_info.", body=schemas.ATTACHMENT_CREATE, response=views.ONE,
             since=SINCE, links=SHOW_LINKS, casts=True, calls_service=True, policy=rules.CREATE)
def create(call: ApiCall, req: Req) -> Response:
    body = req.body["attachment"]
    if "mode" in body and not call.since(MODE_SINCE):
        raise BadRequest(f"Invalid input for field/attribute mode: it needs microversion 3.{MODE_SINCE}.")
    attachment = actions.create(call, volume_id=body["volume_uuid"], instance_uuid=body.get("instance_uuid"),
                                connector=body.get("connector"), mode=body.get("mode", "rw"))
    return responses.json({"attachment": _detail(call, attachment)})


@routes.get("", name="list_attachments", summary="List attachments.", query=LIST_PARAMS, since=SINCE,
            response=views.listing(views.SUMMARY), policy=rules.GET_ALL)
def index(call: ApiCall, req: Req) -> Response:
    return listing.page(call, req, key="attachments", path="/attachments", sort_keys=SORT_KEYS, filters=_filters,
                        fetch=db.attachment_list, count=db.attachment_count, view=lambda c, a: views.summary(a))


@routes.get("/detail", name="list_attachments_detail", summary="List attachments with every field.",
            query=LIST_PARAMS, since=SINCE, response=views.listing(views.DETAIL), policy=rules.GET_ALL)
def detail(call: ApiCall, req: Req) -> Response:
    """The detail list: each page's volumes (whose export holds the CHAP secret) read in one query."""
    volumes: dict[str, Volume] = {}

    def fetch(**query: Any) -> list[Attachment]:
        attachments = db.attachment_list(**query)
        volumes.update(db.volumes_by_id(a.volume_id for a in attachments))
        return attachments

    return listing.page(call, req, key="attachments", path="/attachments/detail", sort_keys=SORT_KEYS,
                        filters=_filters, fetch=fetch, count=db.attachment_count,
                        view=lambda c, a: _detail_with(c, a, volumes.get(a.volume_id)))


def _filters(query: Mapping[str, Any]) -> dict[str, Any]:
    filters: dict[str, Any] = {}
    if "volume_id" in query:
        filters["volume_id"] = query["volume_id"]
    if "instance_id" in query:
        filters["instance_uuid"] = query["instance_id"]
    status = query.get("status") or query.get("attach_status")
    if status is not None:
        filters["status"] = stored_attachment_statuses(status)
    return filters


@routes.get("/{attachment_id}", name="show_attachment", summary="Show an attachment.", response=views.ONE,
            since=SINCE, policy=rules.GET)
def show(call: ApiCall, req: Req, attachment_id: str) -> Response:
    return responses.json({"attachment": _detail(call, actions.get(call, attachment_id))})


@routes.put("/{attachment_id}", name="update_attachment", summary="Connect a reserved attachment to the host's "
            "connector and return its connection_info.", body=schemas.ATTACHMENT_UPDATE, response=views.ONE,
            since=SINCE, casts=True, calls_service=True, policy=rules.UPDATE)
def update(call: ApiCall, req: Req, attachment_id: str) -> Response:
    attachment = actions.update(call, attachment_id, req.body["attachment"]["connector"])
    return responses.json({"attachment": _detail(call, attachment)})


@routes.delete("/{attachment_id}", name="delete_attachment", summary="Detach: end the connection (the export "
               "goes with the volume's last one) and delete the attachment; returns the volume's others.",
               response=views.listing(views.SUMMARY), since=SINCE, casts=True, calls_service=True,
               policy=rules.DELETE)
def delete(call: ApiCall, req: Req, attachment_id: str) -> Response:
    remaining = actions.delete(call, attachment_id)
    return responses.json({"attachments": [views.summary(a) for a in remaining]})


def _complete(call: ApiCall, args: dict[str, Any], attachment_id: str) -> Response:
    actions.complete(call, attachment_id)
    return responses.no_content()


routes.actions("/{attachment_id}/action", [
    Action("os-complete", schemas.COMPLETE_ARGS, _complete, 204, "The host attached the volume: it is in-use.",
           since=COMPLETE_SINCE, policy=rules.COMPLETE),
], name="attachment_action", summary="Run one attachment action.", since=SINCE,
               policy=rules.GET)
