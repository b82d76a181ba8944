"""/v3/snapshots/{id}/metadata: read, merge (POST), replace (PUT) and delete single keys."""

from __future__ import annotations

from starlette.responses import Response

from api import responses, schemas
from api import schema_types as t
from api.actions import snapshots as actions
from api.errors import BadRequest
from api.policies import snapshot_metadata as rules
from api.request import ApiCall
from api.routes.volume_metadata import META, METADATA
from api.spec import Req, Routes
from db import errors as db_errors

routes = Routes("/v3/snapshots/{snapshot_id}/metadata", tag="snapshots",
                path_params={"snapshot_id": t.ID, "key": {"type": "string", "pattern": t.METADATA_KEY}})


@routes.get("", name="show_snapshot_metadata", summary="A snapshot's metadata.", response=METADATA,
            policy=rules.GET)
def index(call: ApiCall, req: Req, snapshot_id: str) -> Response:
    return responses.json({"metadata": actions.get(call, snapshot_id).metadata})


@routes.post("", name="merge_snapshot_metadata", summary="Add or change metadata entries.",
             body=schemas.METADATA_BODY, response=METADATA, policy=rules.UPDATE)
def merge(call: ApiCall, req: Req, snapshot_id: str) -> Response:
    new = dict(req.body["metadata"])
    snapshot = actions.change_metadata(call, snapshot_id, change=lambda current: {**current, **new})
    return responses.json({"metadata": snapshot.metadata})


@routes.put("", name="replace_snapshot_metadata", summary="Replace all metadata.", body=schemas.METADATA_BODY,
            response=METADATA, policy=rules.UPDATE)
def replace(call: ApiCall, req: Req, snapshot_id: str) -> Response:
    new = dict(req.body["metadata"])
    snapshot = actions.change_metadata(call, snapshot_id, change=lambda _: new)
    return responses.json({"metadata": snapshot.metadata})


@routes.get("/{key}", name="show_snapshot_metadata_item", summary="One metadata entry.", response=META,
            policy=rules.GET)
def show(call: ApiCall, req: Req, snapshot_id: str, key: str) -> Response:
    metadata = actions.get(call, snapshot_id).metadata
    if key not in metadata:
        raise db_errors.NotFound("Metadata item", key)
    return responses.json({"meta": {key: metadata[key]}})


@routes.put("/{key}", name="update_snapshot_metadata_item", summary="Set one metadata entry.",
            body=schemas.META_ITEM_BODY, response=META, policy=rules.UPDATE)
def update_key(call: ApiCall, req: Req, snapshot_id: str, key: str) -> Response:
    item = dict(req.body["meta"])
    if list(item) != [key]:
        raise BadRequest("Request body and URI mismatch")
    actions.change_metadata(call, snapshot_id, change=lambda current: {**current, **item})
    return responses.json({"meta": item})


@routes.delete("/{key}", name="delete_snapshot_metadata_item", summary="Remove one metadata entry.",
               policy=rules.DELETE)
def delete_key(call: ApiCall, req: Req, snapshot_id: str, key: str) -> Response:
    if key not in actions.get(call, snapshot_id).metadata:
        raise db_errors.NotFound("Metadata item", key)
    actions.change_metadata(call, snapshot_id,
                            change=lambda current: {k: val for k, val in current.items() if k != key})
    return Response(status_code=200)
