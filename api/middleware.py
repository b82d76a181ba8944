"""The pure-ASGI edge every request passes: request id, authentication, project in the URL, microversion.

It authenticates the caller (``api.auth``: Keystone tokens or noauth; the version documents, the
OpenAPI document and /healthcheck need no token), rewrites ``/v3/{project_id}/...`` to ``/v3/...``
(the routes never see the project), answers noauth's token-less handshake, and turns any error
raised before or around the routes into a Cinder fault that carries the request id.
"""

from __future__ import annotations

import re

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import idempotency, microversion, noauth
from api.auth import Authenticator
from api.errors import BadRequest, RequestTooLarge, response_for
from api.policies.enforcer import Policy
from api.request import BASE_URL_KEY, SCOPE_KEY, ApiCall, base_url_of
from api.settings import Settings
from api.type_names import TypeNames
from api.views.versions import OPENAPI_PATH
from common.context import bound_request_id, new_request_id

_REQUEST_ID = re.compile(r"^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_PROJECT_ID = re.compile(r"^[A-Za-z0-9_-]+$")
_VARY = (b"vary", microversion.HEADER.encode())
_TOKENLESS = frozenset({"/v3", "/v3/", OPENAPI_PATH})
MALFORMED_URL = "Malformed request url"  # Cinder 29's words (wsgi.Resource) for a project that is not the token's

# first path segments after /v3 that are collections, never a project id
COLLECTIONS = frozenset({
    "volumes", "snapshots", "types", "os-availability-zone", "limits", "os-quota-sets", "os-quota-class-sets",
    "scheduler-stats", "os-services", "messages", "attachments", "backups", "extensions", "groups",
    "group_types", "group_snapshots", "os-volume-transfer", "volume-transfers", "qos-specs", "os-hosts",
    "workers", "clusters", "manageable_volumes", "manageable_snapshots", "os-snapshot-manage",
    "os-volume-manage", "resource_filters", "default-types", "capabilities", "consistencygroups",
    "cgsnapshots", "os-backup-services",
})


class ApiMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings, type_names: TypeNames, authenticator: Authenticator,
                 policy: Policy) -> None:
        self.app = app
        self.settings = settings
        self.type_names = type_names
        self.authenticator = authenticator
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        request_id = _request_id(headers)
        extra = [(b"x-openstack-request-id", request_id.encode())]
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        scope = {**scope, BASE_URL_KEY: base_url_of(scope, headers, proxy_headers=self.settings.proxy_headers)}
        with bound_request_id(request_id):
            try:
                await self._dispatch(scope, receive, send_with_headers, headers, request_id, extra)
            except Exception as error:
                if started:
                    raise
                await response_for(error, request_id)(scope, receive, send_with_headers)

    async def _dispatch(self, scope: Scope, receive: Receive, send: Send, headers: Headers, request_id: str,
                        extra: list[tuple[bytes, bytes]]) -> None:
        path: str = scope["path"]
        if path != "/v3" and not path.startswith("/v3/"):
            await self.app(scope, receive, send)
            return
        if path in _TOKENLESS and scope["method"] in ("GET", "HEAD"):
            await self.app(scope, receive, send)  # discovery needs no token
            return
        receive = _size_limited(receive, headers, self.settings.max_body_bytes)
        base_url: str = scope[BASE_URL_KEY]
        if self.authenticator.handshake and not headers.get("x-auth-token"):
            await _handshake(send, headers, url=base_url + path)
            return
        ctx = await self.authenticator.context(headers, method=scope["method"], path=path, request_id=request_id)
        minor = microversion.parse(headers.get(microversion.HEADER))
        extra += [(microversion.HEADER.encode(), microversion.header_value(minor).encode()), _VARY]
        route_path = _strip_project(path, ctx.project_id)
        call = ApiCall(ctx=ctx, minor=minor, base_url=base_url, settings=self.settings,
                       type_names=self.type_names, policy=self.policy, project_in_url=route_path != path)
        scope = {**scope, "path": route_path, "raw_path": route_path.encode(), SCOPE_KEY: call}
        key = headers.get(idempotency.HEADER)
        if key is not None and scope["method"] == "POST":
            await idempotency.run(self.app, scope, receive, send, project_id=ctx.project_id, key=key)
        else:
            await self.app(scope, receive, send)


def _size_limited(receive: Receive, headers: Headers, limit: int) -> Receive:
    """``receive`` that fails with a 413 once the body passes ``limit`` bytes (declared or sent)."""
    declared = headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    seen = 0

    async def counted() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise _too_large(limit)
        return message

    return counted


def _too_large(limit: int) -> RequestTooLarge:
    return RequestTooLarge(f"Request is too large: the body may be at most {limit} bytes.")


def _request_id(headers: Headers) -> str:
    for name in ("x-openstack-request-id", "x-request-id"):
        value = headers.get(name)
        if value and _REQUEST_ID.match(value):
            return value
    return new_request_id()


def _strip_project(path: str, project_id: str) -> str:
    """``/v3/{project}/rest`` -> ``/v3/rest``; a project that is not the caller's is Cinder's 400
    (whoever the caller is, an admin too)."""
    first, slash, rest = path[len("/v3/"):].partition("/")
    if not first or first in COLLECTIONS or not _PROJECT_ID.match(first):
        return path
    if not slash and first != project_id:
        return path  # /v3/<word> alone: an unknown collection (404), not a project
    if first != project_id:
        raise BadRequest(MALFORMED_URL)
    return f"/v3/{rest}"


async def _handshake(send: Send, headers: Headers, *, url: str) -> None:
    response_headers = noauth.handshake_headers(user=headers.get("x-auth-user"),
                                              project=headers.get("x-auth-project-id"), url=url)
    await send({"type": "http.response.start", "status": 204, "headers": response_headers})
    await send({"type": "http.response.body", "body": b""})
