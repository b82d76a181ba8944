"""Token-less endpoints: the version documents (/ and /v3/), the OpenAPI document and /healthcheck."""

from __future__ import annotations

import logging

from starlette.responses import PlainTextResponse, Response

from api import responses
from api import schema_types as t
from api.policies import PUBLIC
from api.request import ApiCall, request_base_url
from api.spec import Req, Routes
from api.views import versions
from db import api as db

log = logging.getLogger(__name__)

routes = Routes("", tag="versions")


@routes.get("/", name="list_versions", summary="The API versions (a multiple-choices document).", success=300,
            response=versions.VERSIONS, project_scoped=False, policy=PUBLIC)
def root(call: ApiCall | None, req: Req) -> Response:
    return responses.json({"versions": [versions.v3(request_base_url(req.request.scope))]}, 300)


@routes.get("/v3", name="show_v3", summary="The v3 API and its microversion range.", response=versions.VERSIONS,
            project_scoped=False, policy=PUBLIC)
def v3(call: ApiCall | None, req: Req) -> Response:
    return responses.json({"versions": [versions.v3(request_base_url(req.request.scope))]})


routes.get("/v3/", name="show_v3_slash", summary="The same as /v3.", response=versions.VERSIONS,
           project_scoped=False, policy=PUBLIC)(v3)


@routes.get(versions.OPENAPI_PATH, name="show_openapi", summary="This OpenAPI document.",
            response=t.obj({"openapi": t.STRING, "paths": t.ANY_OBJECT}, required=["openapi", "paths"]),
            project_scoped=False, policy=PUBLIC)
def openapi(call: ApiCall | None, req: Req) -> Response:
    document = req.request.app.state.openapi  # built once by api.app from the same route table
    return responses.json({**document, "servers": [{"url": request_base_url(req.request.scope)}]})


@routes.get("/healthcheck", name="healthcheck", summary="OK while the database answers (for load balancers).",
            response={"type": "string"}, media_type="text/plain", project_scoped=False, policy=PUBLIC)
def healthcheck(call: ApiCall | None, req: Req) -> Response:
    try:
        db.ping()
    except Exception as error:  # noqa: BLE001 - whatever the cause, the answer is "not healthy"
        log.warning("healthcheck: the database does not answer: %s", error)
        return PlainTextResponse("DB unavailable", status_code=503)
    return PlainTextResponse("OK")
