"""Token-less endpoints: the version documents (/ and /v3/) and the load balancer's /healthcheck."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from starlette.responses import PlainTextResponse, Response

from api import responses
from api.request import base_url_of
from api.views import versions
from db import api as db

log = logging.getLogger(__name__)

router = APIRouter()


@router.get("/")
async def root(request: Request) -> Response:
    return responses.json({"versions": [versions.v3(base_url_of(request.scope))]}, 300)


@router.get("/v3")
@router.get("/v3/")
async def v3(request: Request) -> Response:
    return responses.json({"versions": [versions.v3(base_url_of(request.scope))]})


@router.get("/healthcheck")
def healthcheck() -> Response:
    try:
        db.ping()
    except Exception as error:  # noqa: BLE001 - whatever the cause, the answer is "not healthy"
        log.warning("healthcheck: the database does not answer: %s", error)
        return PlainTextResponse("DB unavailable", status_code=503)
    return PlainTextResponse("OK")
