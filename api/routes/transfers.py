"""Volume transfers: /v3/os-volume-transfer (every version) and /v3/volume-transfers (3.55 on)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.responses import Response

from api import listing, paging, responses, schemas
from api import schema_types as t
from api.actions import transfers as actions
from api.policies import volume_transfer as rules
from api.request import ApiCall
from api.spec import Param, Req, Routes
from api.views import transfers as views
from db import api as db

NEW_PATH_SINCE = 55
SORT_KEYS = {"id": "id", "name": "name", "created_at": "created_at", "volume_id": "volume_id"}
LIST_PARAMS = (*paging.params(SORT_KEYS), *paging.PROJECT_PARAMS,
               Param("name", t.text(), "Only transfers with exactly this name."),
               Param("volume_id", t.ID, "Only transfers of this volume."))

legacy = Routes("/v3/os-volume-transfer", tag="transfers", path_params={"transfer_id": t.ID})
current = Routes("/v3/volume-transfers", tag="transfers", path_params={"transfer_id": t.ID})


def _filters(query: Mapping[str, Any]) -> dict[str, Any]:
    return {key: query[key] for key in ("name", "volume_id") if key in query}


def create(call: ApiCall, req: Req) -> Response:
    body = req.body["transfer"]
    no_snapshots = t.truthy(body["no_snapshots"]) if "no_snapshots" in body else None
    transfer, auth_key = actions.create(call, volume_id=body["volume_id"], name=body.get("name"),
                                        no_snapshots=no_snapshots)
    return responses.json({"transfer": views.created(call, transfer, auth_key)}, 202)


def index(call: ApiCall, req: Req) -> Response:
    return listing.page(call, req, key="transfers", path="/os-volume-transfer", sort_keys=SORT_KEYS,
                        filters=_filters, fetch=db.transfer_list, count=None, view=views.summary,
                        strict_filters=False)


def detail(call: ApiCall, req: Req) -> Response:
    return listing.page(call, req, key="transfers", path="/os-volume-transfer/detail", sort_keys=SORT_KEYS,
                        filters=_filters, fetch=db.transfer_list, count=None, view=views.detail,
                        strict_filters=False)


def show(call: ApiCall, req: Req, transfer_id: str) -> Response:
    return responses.json({"transfer": views.detail(call, actions.get(call, transfer_id))})


def delete(call: ApiCall, req: Req, transfer_id: str) -> Response:
    actions.delete(call, transfer_id)
    return responses.accepted()


def accept(call: ApiCall, req: Req, transfer_id: str) -> Response:
    transfer = actions.accept(call, transfer_id, auth_key=req.body["accept"]["auth_key"])
    return responses.json({"transfer": views.summary(call, transfer)}, 202)


def _register(routes: Routes, prefix: str, since: int) -> None:
    routes.post("", name=f"create_{prefix}", summary="Offer a volume to another project; the answer holds "
                "the auth key, shown this once.", success=202, body=schemas.TRANSFER_CREATE,
                response=views.one(views.CREATED), since=since, policy=rules.CREATE)(create)
    routes.get("", name=f"list_{prefix}s", summary="List pending transfers.", query=LIST_PARAMS,
               response=views.listing(views.SUMMARY), since=since, policy=rules.GET_ALL)(index)
    routes.get("/detail", name=f"list_{prefix}s_detail", summary="List pending transfers with every field.",
               query=LIST_PARAMS, response=views.listing(views.DETAIL), since=since, policy=rules.GET_ALL)(detail)
    routes.get("/{transfer_id}", name=f"show_{prefix}", summary="Show a pending transfer.",
               response=views.one(views.DETAIL), since=since, policy=rules.GET)(show)
    routes.delete("/{transfer_id}", name=f"delete_{prefix}", summary="Withdraw a transfer: the volume is "
                  "available again.", success=202, since=since, policy=rules.DELETE)(delete)
    routes.post("/{transfer_id}/accept", name=f"accept_{prefix}", summary="Accept a transfer with its auth key: "
                "the volume (and its snapshots unless excluded) move to the caller's project with their quota.",
                success=202, body=schemas.TRANSFER_ACCEPT, response=views.one(views.SUMMARY), since=since,
                policy=rules.ACCEPT)(accept)


_register(legacy, "os_volume_transfer", 0)
_register(current, "volume_transfer", NEW_PATH_SINCE)
