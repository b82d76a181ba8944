"""The metadata sub-resource a volume and a snapshot both have (``/{id}/metadata``): read, merge (POST),
replace (PUT), and read, set or delete one key. Each resource gives its own lookups and Cinder's rules."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from starlette.responses import Response

from api import responses, schemas
from api import schema_types as t
from api.errors import BadRequest
from api.request import ApiCall
from api.spec import Req, Routes
from db import errors as db_errors

METADATA = t.obj({"metadata": t.STRING_MAP}, required=["metadata"])
META = t.obj({"meta": t.STRING_MAP}, required=["meta"])


class HasMetadata(Protocol):
    @property
    def metadata(self) -> Mapping[str, str]: ...


class MetadataActions(Protocol):
    """What a resource's actions module offers: the project-checked read and the compare-and-swap change."""

    def get(self, call: ApiCall, resource_id: str, /) -> Any: ...

    def change_metadata(self, call: ApiCall, resource_id: str, /, *,
                        change: Callable[[dict[str, str]], dict[str, str]]) -> Any: ...


def metadata_routes(resource: str, *, tag: str, actions: MetadataActions, read: str, merge: str, replace: str,
                    delete: str) -> Routes:
    """``resource`` is ``volume`` or ``snapshot`` (the path's ``{<resource>_id}``); the last four are the
    policy rules of reading, POST, PUT (also of one key) and deleting one key."""
    id_param = f"{resource}_id"
    routes = Routes(f"/v3/{resource}s/{{{id_param}}}/metadata", tag=tag,
                    path_params={id_param: t.ID, "key": {"type": "string", "pattern": t.METADATA_KEY}})

    def metadata_of(call: ApiCall, ids: Mapping[str, str]) -> dict[str, str]:
        return dict(actions.get(call, ids[id_param]).metadata)

    @routes.get("", name=f"show_{resource}_metadata", summary=f"A {resource}'s metadata.", response=METADATA,
                policy=read)
    def index(call: ApiCall, req: Req, **ids: str) -> Response:
        return responses.json({"metadata": metadata_of(call, ids)})

    @routes.post("", name=f"merge_{resource}_metadata", summary="Add or change metadata entries.",
                 body=schemas.METADATA_BODY, response=METADATA, policy=merge)
    def merge_all(call: ApiCall, req: Req, **ids: str) -> Response:
        new = dict(req.body["metadata"])
        changed = actions.change_metadata(call, ids[id_param], change=lambda current: {**current, **new})
        return responses.json({"metadata": changed.metadata})

    @routes.put("", name=f"replace_{resource}_metadata", summary="Replace all metadata.",
                body=schemas.METADATA_BODY, response=METADATA, policy=replace)
    def replace_all(call: ApiCall, req: Req, **ids: str) -> Response:
        new = dict(req.body["metadata"])
        changed = actions.change_metadata(call, ids[id_param], change=lambda _: new)
        return responses.json({"metadata": changed.metadata})

    @routes.get("/{key}", name=f"show_{resource}_metadata_item", summary="One metadata entry.", response=META,
                policy=read)
    def show(call: ApiCall, req: Req, key: str, **ids: str) -> Response:
        metadata = metadata_of(call, ids)
        if key not in metadata:
            raise db_errors.NotFound("Metadata item", key)
        return responses.json({"meta": {key: metadata[key]}})

    @routes.put("/{key}", name=f"update_{resource}_metadata_item", summary="Set one metadata entry.",
                body=schemas.META_ITEM_BODY, response=META, policy=replace)
    def update_key(call: ApiCall, req: Req, key: str, **ids: str) -> Response:
        item = dict(req.body["meta"])
        if list(item) != [key]:
            raise BadRequest("Request body and URI mismatch")
        actions.change_metadata(call, ids[id_param], change=lambda current: {**current, **item})
        return responses.json({"meta": item})

    @routes.delete("/{key}", name=f"delete_{resource}_metadata_item", summary="Remove one metadata entry.",
                   policy=delete)
    def delete_key(call: ApiCall, req: Req, key: str, **ids: str) -> Response:
        if key not in metadata_of(call, ids):
            raise db_errors.NotFound("Metadata item", key)
        actions.change_metadata(call, ids[id_param],
                                change=lambda current: {k: val for k, val in current.items() if k != key})
        return Response(status_code=200)

    return routes
