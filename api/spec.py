"""Every route of the API, declared once: path, query and body schemas, success code, response schema.

Route modules declare their handlers with :class:`Routes`; ``api.app`` serves exactly these and
``api.openapi`` documents exactly these, so a route can neither skip validation nor be missing
from the document. Path, query and body are checked against their JSON schemas before a handler
runs; what fails is a 400 in Cinder's fault format naming the field, and nothing is changed.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response

from api.call_pool import CallPool
from api.errors import BadRequest, Unsupported
from api.request import SCOPE_KEY, ApiCall

JsonSchema = dict[str, Any]
Handler = Callable[..., Response]

JSON_MEDIA_TYPES = frozenset({"application/json", "application/vnd.openstack.volume+json"})
_INTEGER = re.compile(r"^-?[0-9]+$")
_TRUE = frozenset({"1", "t", "true", "on", "y", "yes"})
_FALSE = frozenset({"0", "f", "false", "off", "n", "no"})
_SHOWN_CHARS = 80


@dataclass(frozen=True)
class Req:
    """What a handler gets besides the caller: the checked query and body."""

    query: dict[str, Any]       # the declared query parameters that were given, coerced and checked
    body: Any                   # the checked JSON body; None for a route that takes none
    raw_query: QueryParams      # as sent, for next links
    request: Request


@dataclass(frozen=True)
class Param:
    """A query parameter: its JSON schema says how the string is read (integer, boolean, string)."""

    name: str
    schema: JsonSchema
    description: str = ""


@dataclass(frozen=True)
class Action:
    """One ``{"os-name": args}`` of a ``POST …/action`` route."""

    name: str
    args: JsonSchema
    handler: Handler            # handler(call, args, **path_params)
    success: int
    summary: str
    admin_rule: str | None = None
    since: int = 0
    calls_service: bool = False  # waits for a volume service's answer: runs on the call pool (api.call_pool)


@dataclass(frozen=True)
class RouteSpec:
    method: str
    path: str                   # as served, e.g. /v3/volumes/{volume_id}
    name: str                   # operationId in the document
    summary: str
    handler: Handler | None     # handler(call, req, **path_params); None for an action route
    success: int
    tag: str
    path_params: Mapping[str, JsonSchema] = field(default_factory=dict)
    query: tuple[Param, ...] = ()
    body: JsonSchema | None = None
    response: JsonSchema | None = None      # None: the success answer has no body
    media_type: str = "application/json"
    admin_rule: str | None = None
    since: int = 0
    # /v3 routes are also served as /v3/{project_id}/...; the token-less edge routes are not
    project_scoped: bool = True
    actions: tuple[Action, ...] = ()
    # operationId -> {parameter: runtime expression}, for the document's links (stateful fuzzing)
    links: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    casts: bool = False         # hands work to another service: may answer 503
    calls_service: bool = False  # waits for a volume service's answer: runs on the call pool (api.call_pool)
    validators: dict[str, Draft202012Validator] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.body is not None:
            self.validators["body"] = _validator(self.body)
        for action in self.actions:
            self.validators[f"action:{action.name}"] = _validator(action.args)
        for name, schema in self.path_params.items():
            self.validators[f"path:{name}"] = _validator(schema)
        for param in self.query:
            self.validators[f"query:{param.name}"] = _validator(param.schema)

    @property
    def action_map(self) -> dict[str, Action]:
        return {action.name: action for action in self.actions}


def _validator(schema: JsonSchema) -> Draft202012Validator:
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


class Routes:
    """The routes of one resource; each decorator registers a handler with its schemas."""

    def __init__(self, prefix: str, *, tag: str, path_params: Mapping[str, JsonSchema] | None = None) -> None:
        self.prefix = prefix
        self.tag = tag
        self.path_params = dict(path_params or {})
        self.specs: list[RouteSpec] = []

    def route(self, method: str, path: str, *, name: str, summary: str, success: int = 200,
              **options: Any) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self._add(method, path, name=name, summary=summary, success=success, handler=handler, **options)
            return handler

        return register

    def _add(self, method: str, path: str, **fields: Any) -> None:
        full = f"{self.prefix}{path}"
        params = {p: self.path_params[p] for p in re.findall(r"{(\w+)}", full)}
        self.specs.append(RouteSpec(method=method, path=full, tag=self.tag, path_params=params, **fields))

    def get(self, path: str, **kw: Any) -> Callable[[Handler], Handler]:
        return self.route("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> Callable[[Handler], Handler]:
        return self.route("POST", path, **kw)

    def put(self, path: str, **kw: Any) -> Callable[[Handler], Handler]:
        return self.route("PUT", path, **kw)

    def delete(self, path: str, **kw: Any) -> Callable[[Handler], Handler]:
        return self.route("DELETE", path, **kw)

    def actions(self, path: str, actions: list[Action], **kw: Any) -> None:
        """``POST <path>`` taking one action per request, each with its own argument schema."""
        self._add("POST", path, handler=None, success=min(a.success for a in actions), actions=tuple(actions),
                  **kw)


# -- serving --------------------------------------------------------------------------------------

def endpoint(spec: RouteSpec) -> Callable[[Request], Any]:
    """The ASGI-facing endpoint of ``spec``: reads the body, then checks and runs on a worker thread
    (one of the call pool's when the request waits for a volume service)."""
    wants_body = spec.body is not None or bool(spec.actions)

    async def serve(request: Request) -> Response:
        raw = await request.body() if wants_body else b""
        work = functools.partial(_serve, spec, request, raw)
        pool: CallPool | None = getattr(request.app.state, "call_pool", None)
        if pool is not None and _calls_service(spec, raw):
            return await pool.run(work)
        return await run_in_threadpool(work)

    serve.__name__ = spec.name
    return serve


def _calls_service(spec: RouteSpec, raw: bytes) -> bool:
    """Whether the request waits for a volume service: its route says so, or the action its body names."""
    if spec.calls_service:
        return True
    if not any(action.calls_service for action in spec.actions):
        return False
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return False  # answered with a 400 on the default threads
    if not isinstance(body, dict) or len(body) != 1:
        return False
    action = spec.action_map.get(next(iter(body)))
    return action is not None and action.calls_service


def _serve(spec: RouteSpec, request: Request, raw: bytes) -> Response:
    call: ApiCall | None = request.scope.get(SCOPE_KEY)
    path = {name: _checked(spec, f"path:{name}", value, name) for name, value in request.path_params.items()}
    if spec.actions:
        assert call is not None
        return _serve_action(spec, call, read_json(raw, request.headers.get("content-type")), path)
    if call is not None:
        _allowed(call, since=spec.since, admin_rule=spec.admin_rule)
    query = read_query(spec, request.query_params)
    body = None
    if spec.body is not None:
        body = _checked(spec, "body", read_json(raw, request.headers.get("content-type")), None)
    assert spec.handler is not None
    return spec.handler(call, Req(query=query, body=body, raw_query=request.query_params, request=request), **path)


def _serve_action(spec: RouteSpec, call: ApiCall, body: Any, path: dict[str, Any]) -> Response:
    if not isinstance(body, dict) or len(body) != 1:
        raise BadRequest("Malformed request body: an action body is one object such as {\"os-extend\": {...}}.")
    ((name, args),) = body.items()
    action = spec.action_map.get(name)
    if action is None:
        raise BadRequest(f"There is no such action: {str(name)[:_SHOWN_CHARS]}")
    _allowed(call, since=action.since, admin_rule=action.admin_rule)
    checked = _checked(spec, f"action:{name}", {} if args is None else args, name)
    return action.handler(call, checked, **path)


def _allowed(call: ApiCall, *, since: int, admin_rule: str | None) -> None:
    if since:
        call.require_version(since)
    if admin_rule:
        call.require_admin(admin_rule)


def read_json(raw: bytes, content_type: str | None) -> Any:
    """The JSON body: 415 unless the Content-Type (when given) is JSON, 400 if empty or not JSON."""
    if raw.strip() and content_type is not None:
        media = content_type.partition(";")[0].strip().lower()
        if media not in JSON_MEDIA_TYPES:
            raise Unsupported(f"Unsupported Content-Type {media[:_SHOWN_CHARS]!r}: send the body as "
                              "application/json.")
    if not raw.strip():
        raise BadRequest("Malformed request body: the request needs a JSON body.")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise BadRequest(f"Malformed request body: {error}.") from None


def read_query(spec: RouteSpec, query: QueryParams) -> dict[str, Any]:
    """The declared parameters that were given, read as their schema says and checked."""
    values: dict[str, Any] = {}
    for param in spec.query:
        raw = query.get(param.name)
        if raw is None:
            continue
        values[param.name] = _checked(spec, f"query:{param.name}", coerce(param, raw), param.name)
    return values


def coerce(param: Param, raw: str) -> Any:
    kind = param.schema.get("type")
    if kind == "integer":
        if not _INTEGER.match(raw.strip()):
            raise BadRequest(f"{param.name} param must be an integer")
        return int(raw)
    if kind == "boolean":
        return parse_bool(raw, param.name)
    return raw


def parse_bool(raw: str, name: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise BadRequest(f"Invalid value {raw[:_SHOWN_CHARS]!r} for {name}: it must be a boolean (true or false).")


def _checked(spec: RouteSpec, key: str, value: Any, where: str | None) -> Any:
    validator = spec.validators[key]
    if validator.is_valid(value):
        return value
    error = best_match(validator.iter_errors(value))
    assert error is not None
    where_path = [str(p) for p in error.absolute_path]
    field_name = ".".join(where_path) if where_path else (where or _top_key(spec.body))
    hint = error.schema.get("description") if isinstance(error.schema, dict) else None
    raise BadRequest(f"Invalid input for field/attribute {field_name}. Value: {shown(error.instance)}. "
                     f"{_message(error.message)}" + (f" {hint}" if hint else ""))


def _top_key(schema: JsonSchema | None) -> str:
    required = (schema or {}).get("required") or ["body"]
    return str(required[0])


def shown(value: Any) -> str:
    # the standard json module, not orjson: a rejected value may be an integer past 64 bits
    text = value if isinstance(value, str) else json.dumps(value, default=str, ensure_ascii=False)
    return text if len(text) <= _SHOWN_CHARS else text[:_SHOWN_CHARS] + "…"


def _message(message: str) -> str:
    return message if len(message) <= 2 * _SHOWN_CHARS else message[:2 * _SHOWN_CHARS] + "…"
