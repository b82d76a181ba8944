"""/v3/volumes/{id}/metadata: read, merge (POST), replace (PUT) and delete single keys."""

from __future__ import annotations

from starlette.responses import Response

from api import responses, schemas
from api import schema_types as t
from api.actions import volumes as actions
from api.errors import BadRequest
from api.policies import volume_metadata as rules
from api.request import ApiCall
from api.spec import Req, Routes
from db import errors as db_errors

routes = Routes("/v3/volumes/{volume_id}/metadata", tag="volumes",
                path_params={"volume_id": t.ID, "key": {"type": "string", "pattern": t.METADATA_KEY}})

METADATA = t.obj({"metadata": t.STRING_MAP}, required=["metadata"])
META = t.obj({"meta": t.STRING_MAP}, required=["meta"])


@routes.get("", name="show_volume_metadata", summary="A volume's metadata.", response=METADATA,
            policy=rules.GET)
def index(call: ApiCall, req: Req, volume_id: str) -> Response:
    return responses.json({"metadata": actions.get(call, volume_id).metadata})


@routes.post("", name="merge_volume_metadata", summary="Add or change metadata entries.",
             body=schemas.METADATA_BODY, response=METADATA, policy=rules.CREATE)
def merge(call: ApiCall, req: Req, volume_id: str) -> Response:
    new = dict(req.body["metadata"])
    volume = actions.change_metadata(call, volume_id, change=lambda current: {**current, **new})
    return responses.json({"metadata": volume.metadata})


@routes.put("", name="replace_volume_metadata", summary="Replace all metadata.", body=schemas.METADATA_BODY,
            response=METADATA, policy=rules.UPDATE)
def replace(call: ApiCall, req: Req, volume_id: str) -> Response:
    new = dict(req.body["metadata"])
    volume = actions.change_metadata(call, volume_id, change=lambda _: new)
    return responses.json({"metadata": volume.metadata})


@routes.get("/{key}", name="show_volume_metadata_item", summary="One metadata entry.", response=META,
            policy=rules.GET)
def show(call: ApiCall, req: Req, volume_id: str, key: str) -> Response:
    metadata = actions.get(call, volume_id).metadata
    if key not in metadata:
        raise db_errors.NotFound("Metadata item", key)
    return responses.json({"meta": {key: metadata[key]}})


@routes.put("/{key}", name="update_volume_metadata_item", summary="Set one metadata entry.",
            body=schemas.META_ITEM_BODY, response=META, policy=rules.UPDATE)
def update_key(call: ApiCall, req: Req, volume_id: str, key: str) -> Response:
    item = dict(req.body["meta"])
    if list(item) != [key]:
        raise BadRequest("Request body and URI mismatch")
    actions.change_metadata(call, volume_id, change=lambda current: {**current, **item})
    return responses.json({"meta": item})


@routes.delete("/{key}", name="delete_volume_metadata_item", summary="Remove one metadata entry.",
               policy=rules.DELETE)
def delete_key(call: ApiCall, req: Req, volume_id: str, key: str) -> Response:
    if key not in actions.get(call, volume_id).metadata:
        raise db_errors.NotFound("Metadata item", key)
    actions.change_metadata(call, volume_id,
                            change=lambda current: {k: val for k, val in current.items() if k != key})
    return Response(status_code=200)
