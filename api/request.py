"""What a route handler knows about its request: who calls, at which microversion, from where.

The middleware builds an :class:`ApiCall` per request and puts it in the ASGI scope; ``api.spec``
hands it to the route handler.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.datastructures import Headers
from starlette.types import Scope

from api.errors import policy_forbidden, version_not_found
from api.settings import Settings
from api.type_names import TypeNames
from common.context import RequestContext
from db.records import IdempotencyClaim

SCOPE_KEY = "ember.call"


@dataclass(frozen=True)
class ApiCall:
    ctx: RequestContext
    minor: int  # the microversion is 3.<minor>
    base_url: str  # scheme://host[:port], for links
    settings: Settings
    type_names: TypeNames
    # this run's hold on the POST's Idempotency-Key, bound to the resource it creates in the
    # same transaction
    idempotency_claim: IdempotencyClaim | None = None
    # set when a retried POST's first run created this resource but died before answering
    replay_resource_id: str | None = None

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

    def require_admin(self, rule: str) -> None:
        if not self.ctx.is_admin:
            raise policy_forbidden(rule)

    def scope_project(self) -> str | None:
        """The project a lookup is limited to: none for an admin, who sees every project."""
        return None if self.ctx.is_admin else self.ctx.project_id


def base_url_of(scope: Scope, headers: Headers | None = None) -> str:
    """scheme://host[:port] the client used (or the proxy in front says it used), for links."""
    headers = headers if headers is not None else Headers(scope=scope)
    scheme = headers.get("x-forwarded-proto") or scope.get("scheme", "http")
    host = headers.get("x-forwarded-host") or headers.get("host")
    if not host:
        server = scope.get("server") or ("localhost", 8776)
        host = f"{server[0]}:{server[1]}"
    return f"{scheme}://{host}"
