"""/v3/messages (3.3+): why an asynchronous request failed, as the project may read it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.responses import Response

from api import listing, paging, responses
from api import schema_types as t
from api.policies import messages as rules
from api.request import ApiCall
from api.spec import Param, Req, Routes
from api.views.common import iso, links
from db import api as db
from db.api.messages import FILTER_KEYS
from db.api.messages import SORT_KEYS as DB_SORT_KEYS
from db.records import UserMessage

routes = Routes("/v3/messages", tag="messages", path_params={"message_id": t.ID})

SINCE = 3
SORT_KEYS = {key: key for key in DB_SORT_KEYS}
LIST_PARAMS = (*paging.params(SORT_KEYS), *paging.PROJECT_PARAMS,
               *(Param(key, t.text(), f"Only messages with this {key}.") for key in sorted(FILTER_KEYS)))
MESSAGE = t.obj({"id": t.STRING, "event_id": t.STRING, "user_message": t.STRING, "message_level": t.STRING,
                 "resource_type": t.STRING, "resource_uuid": t.STRING, "request_id": t.STRING_OR_NULL,
                 "created_at": t.STRING, "guaranteed_until": t.STRING_OR_NULL, "links": t.LINKS},
                required=["id", "event_id", "user_message", "resource_type", "resource_uuid", "created_at"])


def _view(call: ApiCall, message: UserMessage) -> dict[str, Any]:
    return {"id": message.id, "event_id": message.event_id, "user_message": message.user_message,
            "message_level": message.message_level, "resource_type": message.resource_type,
            "resource_uuid": message.resource_uuid, "request_id": message.request_id,
            "created_at": iso(message.created_at), "guaranteed_until": iso(message.expires_at),
            "links": links(call, "messages", message.id)}


def _filters(query: Mapping[str, Any]) -> dict[str, Any]:
    return {key: query[key] for key in FILTER_KEYS if key in query}


@routes.get("", name="list_messages", summary="List the project's user messages.", since=SINCE,
            query=LIST_PARAMS, policy=rules.GET_ALL,
            response=t.obj({"messages": t.array(MESSAGE), "messages_links": t.LINKS}, required=["messages"]))
def index(call: ApiCall, req: Req) -> Response:
    return listing.page(call, req, key="messages", path="/messages", sort_keys=SORT_KEYS, filters=_filters,
                        fetch=db.message_list, count=None, view=_view)


@routes.get("/{message_id}", name="show_message", summary="Show a user message.", since=SINCE, policy=rules.GET,
            response=t.obj({"message": MESSAGE}, required=["message"]))
def show(call: ApiCall, req: Req, message_id: str) -> Response:
    return responses.json({"message": _view(call, db.message_get(message_id, project_id=call.scope_project()))})


@routes.delete("/{message_id}", name="delete_message", summary="Delete a user message.", since=SINCE,
               success=204, policy=rules.DELETE)
def delete(call: ApiCall, req: Req, message_id: str) -> Response:
    db.message_delete(message_id, project_id=call.scope_project())
    return Response(status_code=204)
