"""Every route of the API, declared once: path, query and body schemas, success code, response schema,
and the policy rule that guards it.

Route modules declare their handlers with :class:`Routes`; ``api.app`` serves exactly these and
``api.openapi`` documents exactly these, so a route can neither skip validation or policy nor be
missing from the document. Path, query and body are checked against their JSON schemas before a
handler runs; what fails is a 400 in Cinder's fault format naming the field, and nothing is changed.
Then the route's rule (``policy``, required: a route without one fails at import, and so does a name
``api.policies`` does not register) is checked on the route's target (``api.targets``), and for an
action route the action's rule too; a denial is Cinder's 403. ``policy_table`` lists them all.
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

from api import policies, targets
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
RULE_NAMES = frozenset(rule.name for rule in policies.list_rules())


def _check_rule(rule: str, where: str, *, public: bool = False) -> None:
    if public and rule == policies.PUBLIC:
        return
    if rule not in RULE_NAMES:
        raise ValueError(f"{where}: policy {rule!r} is no rule api.policies registers")


@dataclass(frozen=True)
class Req:
    """What a handler gets besides the caller: the checked query and body."""

    query: dict[str, Any]       # the declared query parameters that were given, coerced and checked
    body: Any                   # the checked JSON body; None for a route that takes none
    raw_query: QueryParams      # as sent, for next links
    request: Request
    declared: frozenset[str] = frozenset()  # the route's query parameter names (the lists' filter check)


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
    policy: str                 # the rule checked (after the route's own) on the route's target
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
    # the rule checked before the handler (for an action route, the read of its resource: each action
    # adds its own); policies.PUBLIC for the token-less routes only
    policy: str
    path_params: Mapping[str, JsonSchema] = field(default_factory=dict)
    query: tuple[Param, ...] = ()
    body: JsonSchema | None = None
    response: JsonSchema | None = None      # None: the success answer has no body
    media_type: str = "application/json"
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
        where = f"{self.method} {self.path}"
        _check_rule(self.policy, where, public=not self.project_scoped)
        if self.project_scoped == (self.policy == policies.PUBLIC):
            raise ValueError(f"{where}: exactly the token-less routes (project_scoped=False) are public")
        for action in self.actions:
            _check_rule(action.policy, f"{where} {action.name}")
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

    @property
    def resource_param(self) -> str | None:
        """The path parameter naming the resource whose project the rule is checked on, if any."""
        return targets.resource_param(self.path_params)


@dataclass(frozen=True)
class PolicyRow:
    """One rule check the API makes: a route, or one action of an action route."""

    method: str
    path: str
    action: str | None
    rules: tuple[str, ...]      # checked in this order (an action route's read rule, then the action's)
    resource_param: str | None  # the path parameter naming the resource checked on; None: the caller's project
    since: int                  # the first microversion that serves it (0: 3.0)
    operation: str              # the route's operationId


def policy_table(specs: list[RouteSpec]) -> list[PolicyRow]:
    """Every token route and action with the rules it checks, for the persona matrix and the docs."""
    rows: list[PolicyRow] = []
    for spec in specs:
        if spec.policy == policies.PUBLIC:
            continue
        if not spec.actions:
            rows.append(PolicyRow(spec.method, spec.path, None, (spec.policy,), spec.resource_param, spec.since,
                                  spec.name))
        for action in spec.actions:
            rows.append(PolicyRow(spec.method, spec.path, action.name, (spec.policy, action.policy),
                                  spec.resource_param, max(spec.since, action.since), spec.name))
    return rows


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
    if spec.policy == policies.PUBLIC:
        assert spec.handler is not None
        return spec.handler(call, Req(query=read_query(spec, request.query_params), body=None,
                                      raw_query=request.query_params, request=request), **path)
    assert call is not None  # the middleware authenticated every request of a token route
    if spec.since:
        call.require_version(spec.since)
    if spec.actions:
        return _serve_action(spec, call, read_json(raw, request.headers.get("content-type")), path)
    query = read_query(spec, request.query_params)
    body = None
    if spec.body is not None:
        body = _checked(spec, "body", read_json(raw, request.headers.get("content-type")), None)
    call.authorize(spec.policy, targets.target_of(call, path))
    assert spec.handler is not None
    return spec.handler(call, Req(query=query, body=body, raw_query=request.query_params, request=request,
                                  declared=frozenset(p.name for p in spec.query)), **path)


def _serve_action(spec: RouteSpec, call: ApiCall, body: Any, path: dict[str, Any]) -> Response:
    if not isinstance(body, dict) or len(body) != 1:
        raise BadRequest("Malformed request body: an action body is one object such as {\"os-extend\": {...}}.")
    ((name, args),) = body.items()
    action = spec.action_map.get(name)
    if action is None:
        raise BadRequest(f"There is no such action: {str(name)[:_SHOWN_CHARS]}")
    if action.since:
        call.require_version(action.since)
    checked = _checked(spec, f"action:{name}", {} if args is None else args, name)
    target = targets.target_of(call, path)
    call.authorize(spec.policy, target)
    call.authorize(action.policy, target)
    return action.handler(call, checked, **path)


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
