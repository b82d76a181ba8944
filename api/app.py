"""The api's ASGI application: routes, the edge middleware and the fault handlers.

``create_app`` has no process start-up side effects; ember-api and ember-all (``launch/``) both call it.
The application is a plain Starlette one: ember routes through its own table (``api.spec``), so FastAPI
would only add pydantic and OpenTelemetry to the process (~12 MiB resident).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from anyio import to_thread
from oslo_config import cfg
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from api import auth, errors, openapi, routes, spec
from api.call_pool import CallPool
from api.middleware import ApiMiddleware
from api.policies.enforcer import Policy
from api.settings import Settings
from api.type_names import TypeNames
from common.context import current_request_id
from db import errors as db_errors
from rpc.errors import RpcError
from volume.errors import VolumeError


def _lifespan(conf: cfg.ConfigOpts) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        # Sync routes run on anyio's worker threads, each holding a DB connection while it
        # works: no more threads than connections, so no request opens one past the pool. (The
        # call pool's threads spend their time waiting on RPC answers, holding no connection.)
        limiter = to_thread.current_default_thread_limiter()
        limiter.total_tokens = conf.database.max_pool_size + conf.database.max_overflow
        yield

    return lifespan


def create_app(conf: cfg.ConfigOpts) -> Starlette:
    app = Starlette(lifespan=_lifespan(conf))
    app.router.redirect_slashes = False
    for path, by_method in _by_path(routes.ALL).items():
        app.add_route(path, _method_dispatch(by_method), methods=list(by_method), include_in_schema=False)
    app.state.openapi = openapi.document(routes.ALL, keystone=conf.auth_strategy == auth.KEYSTONE)
    app.state.call_pool = CallPool(threads=conf.service_call_threads, queue=conf.service_call_queue)
    for error_class in (errors.ApiError, db_errors.DbError, VolumeError, RpcError):
        app.add_exception_handler(error_class, _mapped_error)
    app.add_exception_handler(HTTPException, _http_error)
    policy = Policy(conf)
    app.add_middleware(ApiMiddleware, settings=Settings.from_conf(conf), type_names=TypeNames(),
                       authenticator=auth.build(conf, policy), policy=policy)
    return app


def _by_path(specs: list[spec.RouteSpec]) -> dict[str, dict[str, spec.RouteSpec]]:
    """The routes of each path, paths in the order they first appear (the table's matching order)."""
    found: dict[str, dict[str, spec.RouteSpec]] = {}
    for route in specs:
        found.setdefault(route.path, {})[route.method] = route
    return found


def _method_dispatch(by_method: dict[str, spec.RouteSpec]) -> Callable[[Request], Awaitable[Response]]:
    """One endpoint for every method a path serves, so that a 405's Allow names them all (as Cinder's does)."""
    endpoints = {method: spec.endpoint(route) for method, route in by_method.items()}
    if "GET" in endpoints:
        endpoints["HEAD"] = endpoints["GET"]

    async def serve(request: Request) -> Response:
        result: Response = await endpoints[request.method](request)
        return result

    return serve


async def _mapped_error(request: Request, error: Exception) -> Response:
    return errors.response_for(error, current_request_id())


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    kind = errors.STATUS_FAULT.get(error.status_code, "computeFault")
    message = "The resource could not be found." if error.status_code == 404 else str(error.detail)
    return errors.fault_response(error.status_code, kind, message, headers=dict(error.headers or {}))

