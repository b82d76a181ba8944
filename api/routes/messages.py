"""/v3/messages (3.3+): why an asynchronous request failed, as the project may read it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from api import listing, responses
from api.request import ApiCall, Call
from api.views.common import iso, links
from db import api as db
from db.records import UserMessage

router = APIRouter(prefix="/v3/messages")

SINCE = 3


def _view(call: ApiCall, message: UserMessage) -> dict[str, Any]:
    return {"id": message.id, "event_id": message.event_id, "user_message": message.user_message,
            "message_level": message.message_level, "resource_type": message.resource_type,
            "resource_uuid": message.resource_uuid, "request_id": message.request_id,
            "created_at": iso(message.created_at), "guaranteed_until": iso(message.expires_at),
            "links": links(call, "messages", message.id)}


@router.get("")
def index(call: Call, request: Request) -> Response:
    call.require_version(SINCE)
    query = request.query_params
    found = db.message_list(project_id=listing.project_scope(call, query),
                            resource_uuid=query.get("resource_uuid") or None)
    return responses.json({"messages": [_view(call, m) for m in found]})


@router.get("/{message_id}")
def show(message_id: str, call: Call) -> Response:
    call.require_version(SINCE)
    return responses.json({"message": _view(call, db.message_get(message_id, project_id=call.scope_project()))})


@router.delete("/{message_id}")
def delete(message_id: str, call: Call) -> Response:
    call.require_version(SINCE)
    db.message_delete(message_id, project_id=call.scope_project())
    return Response(status_code=204)
