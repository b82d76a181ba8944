"""What a route handler knows about its request: who calls, at which microversion, from where.

The middleware builds an :class:`ApiCall` per request and puts it in the ASGI scope; ``api.spec``
hands it to the route handler.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import Headers
from starlette.types import Scope

from api.errors import version_not_found
from api.policies.enforcer import Policy, own_target
from api.settings import Settings
from api.type_names import TypeNames
from common.context import RequestContext
from db.records import IdempotencyClaim

SCOPE_KEY = "ember.call"
BASE_URL_KEY = "ember.base_url"  # scheme://host[/prefix] for links, set by the middleware on every request
_HOST = re.compile(r"^[A-Za-z0-9.\-]+(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$")
_PREFIX = re.compile(r"^(/[A-Za-z0-9._~\-]+)*$")


@dataclass(frozen=True)
class ApiCall:
    ctx: RequestContext
    minor: int  # the microversion is 3.<minor>
    base_url: str  # scheme://host[:port], for links
    settings: Settings
    type_names: TypeNames
    policy: Policy
    # this run's hold on the POST's Idempotency-Key, bound to the resource it creates in the
    # same transaction
    idempotency_claim: IdempotencyClaim | None = None
    # set when a retried POST's first run created this resource but died before answering
    replay_resource_id: str | None = None
    # whether the request's URL named the project (/v3/{project_id}/...): next links follow its form
    project_in_url: bool = True
    # (rule, project) -> decision, for the attribute rules a view asks once per item
    _decisions: dict[tuple[str, str | None], bool] = field(default_factory=dict, compare=False, repr=False)
    # (kind, id) -> the record the route's policy target was read from, for the handler's first read
    _fetched: dict[tuple[str, str], Any] = field(default_factory=dict, compare=False, repr=False)

    def keep(self, kind: str, record: Any) -> Any:
        """Hold ``record`` (read for the policy check) for the handler's own first read of it; returns it."""
        self._fetched[(kind, record.id)] = record
        return record

    def take(self, kind: str, record_id: str) -> Any | None:
        """The record ``keep`` holds, once: a later read in the same request goes to the DB again."""
        return self._fetched.pop((kind, record_id), None)

    def idempotency(self) -> IdempotencyClaim | None:
        """The Idempotency-Key claim to bind to the resource this POST creates, if it has a key."""
        return self.idempotency_claim

    @property
    def project_id(self) -> str:
        return self.ctx.project_id

    @property
    def is_admin(self) -> bool:
        return self.ctx.is_admin

    def since(self, minor: int) -> bool:
        return self.minor >= minor

    def require_version(self, minor: int) -> None:
        if self.minor < minor:
            raise version_not_found(self.minor)

    def authorize(self, rule: str, target: Mapping[str, Any] | None = None) -> None:
        """Forbidden (403) unless ``rule`` lets the caller act on ``target`` (default: its own project)."""
        self.policy.authorize(self.ctx, rule, own_target(self.ctx) if target is None else target)

    def allowed(self, rule: str, project_id: str | None = None) -> bool:
        """Whether ``rule`` passes on ``project_id`` (default: the caller's own; Cinder's ``authorize(rule,
        fatal=False)``), decided once per request and project: what a view shows (attribute rules)."""
        key = (rule, project_id)
        decided = self._decisions.get(key)
        if decided is None:
            target = own_target(self.ctx) if project_id is None else {"project_id": project_id}
            decided = self._decisions[key] = self.policy.allowed(self.ctx, rule, target)
        return decided

    def scope_project(self) -> str | None:
        """The project a lookup is limited to: none for an admin, who sees every project."""
        return None if self.ctx.is_admin else self.ctx.project_id


def base_url_of(scope: Scope, headers: Headers | None = None, *, proxy_headers: bool = False) -> str:
    """scheme://host[:port][/prefix] the client used, for links.

    ``proxy_headers`` ([oslo_middleware] enable_proxy_headers_parsing): what the proxy in front says
    the client used (RFC 7239 Forwarded, else X-Forwarded-Proto / -Host, and X-Forwarded-Prefix), as
    oslo.middleware's HTTPProxyToWSGI reads them; otherwise these headers are ignored, since any client
    can send them. A value that is no scheme, host or path is ignored either way.
    """
    headers = headers if headers is not None else Headers(scope=scope)
    scheme = scope.get("scheme", "http")
    host = headers.get("host")
    prefix = ""
    if proxy_headers:
        proxy_scheme, proxy_host = _forwarded(headers)
        scheme = proxy_scheme if proxy_scheme in ("http", "https") else scheme
        host = proxy_host if proxy_host and _HOST.match(proxy_host) else host
        proxy_prefix = headers.get("x-forwarded-prefix", "").strip().rstrip("/")
        prefix = proxy_prefix if _PREFIX.match(proxy_prefix) else ""
    if not host:
        server = scope.get("server") or ("localhost", 8776)
        host = f"{server[0]}:{server[1]}"
    return f"{scheme}://{host}{prefix}"


def _forwarded(headers: Headers) -> tuple[str | None, str | None]:
    """(scheme, host) the first proxy reports: its RFC 7239 Forwarded element, else X-Forwarded-Proto/-Host."""
    forwarded = headers.get("forwarded")
    if forwarded:
        values: dict[str, str] = {}
        for pair in forwarded.split(",")[0].split(";"):
            key, _, value = pair.partition("=")
            values[key.strip().lower()] = value.strip().strip('"')
        return values.get("proto", "").lower() or None, values.get("host") or None
    proto = headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    host = headers.get("x-forwarded-host", "").split(",")[0].strip()
    return proto or None, host or None


def request_base_url(scope: Scope) -> str:
    """The base URL the middleware worked out for this request (``BASE_URL_KEY``)."""
    found = scope.get(BASE_URL_KEY)
    return found if isinstance(found, str) else base_url_of(scope)
