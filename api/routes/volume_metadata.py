"""/v3/volumes/{id}/metadata: read, merge (POST), replace (PUT) and delete single keys."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from api import responses
from api import validation as v
from api.actions import volumes as actions
from api.errors import BadRequest
from api.request import Call, JsonBody
from db import errors as db_errors

router = APIRouter(prefix="/v3/volumes/{volume_id}/metadata")


def _metadata_body(body: object) -> dict[str, str]:
    if not isinstance(body, dict) or "metadata" not in body:
        raise BadRequest("Missing required element 'metadata' in request body.")
    return v.metadata(body["metadata"])


@router.get("")
def index(volume_id: str, call: Call) -> Response:
    return responses.json({"metadata": actions.get(call, volume_id).metadata})


@router.post("")
def merge(volume_id: str, call: Call, body: JsonBody) -> Response:
    new = _metadata_body(body)
    volume = actions.change_metadata(call, volume_id, change=lambda current: {**current, **new})
    return responses.json({"metadata": volume.metadata})


@router.put("")
def replace(volume_id: str, call: Call, body: JsonBody) -> Response:
    new = _metadata_body(body)
    volume = actions.change_metadata(call, volume_id, change=lambda _: new)
    return responses.json({"metadata": volume.metadata})


@router.get("/{key}")
def show(volume_id: str, key: str, call: Call) -> Response:
    metadata = actions.get(call, volume_id).metadata
    if key not in metadata:
        raise db_errors.NotFound("Metadata item", key)
    return responses.json({"meta": {key: metadata[key]}})


@router.put("/{key}")
def update_key(volume_id: str, key: str, call: Call, body: JsonBody) -> Response:
    if not isinstance(body, dict) or not isinstance(body.get("meta"), dict) or list(body["meta"]) != [key]:
        raise BadRequest("Request body and URI mismatch")
    item = v.metadata(body["meta"], "meta")
    actions.change_metadata(call, volume_id, change=lambda current: {**current, **item})
    return responses.json({"meta": item})


@router.delete("/{key}")
def delete_key(volume_id: str, key: str, call: Call) -> Response:
    if key not in actions.get(call, volume_id).metadata:
        raise db_errors.NotFound("Metadata item", key)
    actions.change_metadata(call, volume_id,
                            change=lambda current: {k: val for k, val in current.items() if k != key})
    return Response(status_code=200)
