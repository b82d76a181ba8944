"""The OpenAPI 3.1 document of the API, built from the same route table the app serves.

Each /v3 route appears twice, as ``/v3/...`` and ``/v3/{project_id}/...`` (both are served);
bodies, query parameters and success codes are the ones the routes check and answer, and every
4xx is Cinder's fault body. Each token route names its policy rule (``x-policy``; an action route
``x-action-policies`` too) and documents the 401 of a missing or refused token and the 403 of its rule.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from api import microversion
from api import schema_types as t
from api.spec import JsonSchema, RouteSpec

PROJECT_PARAM = {"name": "project_id", "in": "path", "required": True,
                 "description": "The caller's project (it must match the token's).",
                 "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]+$", "maxLength": t.MAX_NAME}}
VERSION_HEADER = {"name": microversion.HEADER, "in": "header", "required": False,
                  "description": f"The microversion, 'volume 3.0' to 'volume {microversion.MAX_VERSION}' or "
                                 "'volume latest'; 3.0 without the header.",
                  "schema": {"type": "string",
                             "pattern": f"^{microversion.SERVICE} (3\\.([0-9]|[1-6][0-9]|7[01])|latest)$"}}
UNAUTHORIZED_RESPONSE = {
    "description": "No token, or one that is not valid (expired, revoked, unknown): Cinder's fault "
                   "{\"unauthorized\": ...}; under Keystone the WWW-Authenticate header names where to get one.",
    "headers": {"WWW-Authenticate": {"description": "Keystone uri=\"<the identity endpoint>\" (Keystone only).",
                                     "schema": {"type": "string"}}},
    "content": {"application/json": {"schema": t.FAULT}}}
FORBIDDEN_RESPONSE = {"description": "The policy rule (x-policy) does not allow the caller: "
                                     "{\"forbidden\": {\"message\": \"Policy doesn't allow <rule> to be performed.\"}}.",
                      "content": {"application/json": {"schema": t.FAULT}}}
HANDSHAKE_RESPONSE = {"description": "No X-Auth-Token: Cinder's noauth handshake, a made-up token in the "
                                     "X-Auth-Token response header and the project's URL in X-Server-Management-Url."}
FAULT_RESPONSE = {"description": "A Cinder fault: {\"<kind>\": {\"code\": N, \"message\": \"...\"}}.",
                  "content": {"application/json": {"schema": t.FAULT}}}
STATUS_TEXT = {200: "OK", 202: "Accepted: the work runs in the background.", 204: "Done; no body.",
               300: "Multiple choices: the versions."}


def document(specs: Iterable[RouteSpec], *, keystone: bool = False) -> dict[str, Any]:
    """``keystone``: the api takes Keystone tokens (else noauth's, and a token-less request gets the handshake)."""
    paths: dict[str, dict[str, Any]] = {}
    for spec in specs:
        paths.setdefault(spec.path, {})[spec.method.lower()] = _operation(spec, in_project=False, keystone=keystone)
        if spec.project_scoped:
            scoped = spec.path.replace("/v3", "/v3/{project_id}", 1)
            paths.setdefault(scoped, {})[spec.method.lower()] = _operation(spec, in_project=True, keystone=keystone)
    scheme = "keystone" if keystone else "noauth"
    how = ("Authentication: a Keystone token in X-Auth-Token (X-Service-Token: a service's token beside it)."
           if keystone else "Authentication is Cinder's noauth (development only): X-Auth-Token: user:project.")
    return {
        "openapi": "3.1.0",
        "info": {"title": "ember block storage (Cinder v3 API)", "version": microversion.MAX_VERSION,
                 "description": f"{how} Each operation names the policy rule that guards it (x-policy)."},
        "paths": paths,
        "components": {"securitySchemes": {scheme: {"type": "apiKey", "in": "header", "name": "X-Auth-Token"}}},
    }


def _operation_id(spec: RouteSpec, in_project: bool) -> str:
    return f"{spec.name}_in_project" if in_project else spec.name


def _operation(spec: RouteSpec, *, in_project: bool, keystone: bool) -> dict[str, Any]:
    params: list[dict[str, Any]] = [PROJECT_PARAM] if in_project else []
    params += [{"name": name, "in": "path", "required": True, "schema": schema}
               for name, schema in spec.path_params.items()]
    params += [{"name": p.name, "in": "query", "required": False, "schema": p.schema,
                **({"description": p.description} if p.description else {})} for p in spec.query]
    operation: dict[str, Any] = {"operationId": _operation_id(spec, in_project), "summary": spec.summary,
                                 "tags": [spec.tag], "responses": _responses(spec, in_project, keystone)}
    if spec.project_scoped:  # the token-less discovery routes read neither token nor version
        params.append(VERSION_HEADER)
        # noauth: without a token, the handshake below
        operation["security"] = [{"keystone": []}] if keystone else [{"noauth": []}, {}]
        operation["x-policy"] = spec.policy
        if spec.actions:
            operation["x-action-policies"] = {action.name: action.policy for action in spec.actions}
    if params:
        operation["parameters"] = params
    body = _body_schema(spec)
    if body is not None:
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    notes = _notes(spec)
    if notes:
        operation["description"] = notes
    return operation


def _body_schema(spec: RouteSpec) -> dict[str, Any] | None:
    if spec.actions:
        return {"oneOf": [t.obj({a.name: _action_args(a.args)}, required=[a.name], extra=False)
                          for a in spec.actions]}
    return spec.body


def _action_args(args: JsonSchema) -> JsonSchema:
    # An action whose arguments may all be left out also takes null (cinderclient sends {"os-force_delete": null})
    return args if args.get("required") else t.nullable(args)


def _responses(spec: RouteSpec, in_project: bool, keystone: bool) -> dict[str, Any]:
    codes = sorted({a.success for a in spec.actions} or {spec.success})
    responses: dict[str, Any] = {}
    for code in codes:
        answer: dict[str, Any] = {"description": STATUS_TEXT.get(code, "OK")}
        if spec.response is not None and code in (spec.success, 300):
            answer["content"] = {spec.media_type: {"schema": spec.response}}
        links = _links(spec, in_project) if code == spec.success else {}
        if links:
            answer["links"] = links
        responses[str(code)] = answer
    if spec.project_scoped:
        if not keystone:
            responses.setdefault("204", HANDSHAKE_RESPONSE)
        responses["401"] = UNAUTHORIZED_RESPONSE
        responses["403"] = FORBIDDEN_RESPONSE
        responses["4XX"] = FAULT_RESPONSE
    if spec.casts:
        responses["503"] = FAULT_RESPONSE
    if spec.name == "healthcheck":
        responses["503"] = {"description": "The database does not answer.",
                            "content": {"text/plain": {"schema": {"type": "string"}}}}
    return responses


def _links(spec: RouteSpec, in_project: bool) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for target, parameters in spec.links.items():
        values = dict(parameters)
        if in_project:
            values["project_id"] = "$request.path.project_id"
        found[target] = {"operationId": f"{target}_in_project" if in_project else target, "parameters": values}
    return found


def _notes(spec: RouteSpec) -> str:
    notes = []
    if spec.project_scoped:
        notes.append(f"Policy: {spec.policy}.")
    if spec.since:
        notes.append(f"From microversion 3.{spec.since}.")
    for action in spec.actions:
        extra = [f"policy {action.policy}"]
        if action.since:
            extra.append(f"from 3.{action.since}")
        notes.append(f"{action.name}: {action.summary}" + (f" ({', '.join(extra)})" if extra else "")
                     + f" Answers {action.success}.")
    return " ".join(notes)
