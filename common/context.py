"""The request context: who asks, for which project, with which roles, under which request id.

It travels with every RPC message (``to_wire``/``from_wire``) so that api, scheduler and
volume log lines of one request share its request id. ``to_policy_values`` is what oslo.policy
checks (the api's ``api.policies``): the fields oslo.context gives it, plus ``is_admin`` as Cinder adds.
"""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


def new_request_id() -> str:
    return f"req-{uuid.uuid4()}"


@dataclass(frozen=True)
class RequestContext:
    user_id: str
    project_id: str  # "" for a token scoped to no project (system or domain scope)
    is_admin: bool = False  # the policy's context_is_admin: sees every project
    request_id: str = field(default_factory=new_request_id)
    roles: tuple[str, ...] = ()
    user_domain_id: str | None = None
    project_domain_id: str | None = None
    domain_id: str | None = None  # set for a domain-scoped token
    system_scope: str | None = None  # "all" for a system-scoped token
    is_admin_project: bool = True
    # the valid service token (X-Service-Token) that came with the user's, if any
    service_user_id: str | None = None
    service_project_id: str | None = None
    service_roles: tuple[str, ...] = ()

    def to_wire(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_wire(cls, wire: Mapping[str, Any]) -> RequestContext:
        return cls(
            user_id=str(wire.get("user_id", "")),
            project_id=str(wire.get("project_id", "")),
            is_admin=bool(wire.get("is_admin", False)),
            request_id=str(wire.get("request_id") or new_request_id()),
            roles=tuple(str(r) for r in wire.get("roles") or ()),
            user_domain_id=_optional(wire.get("user_domain_id")),
            project_domain_id=_optional(wire.get("project_domain_id")),
            domain_id=_optional(wire.get("domain_id")),
            system_scope=_optional(wire.get("system_scope")),
            is_admin_project=bool(wire.get("is_admin_project", True)),
            service_user_id=_optional(wire.get("service_user_id")),
            service_project_id=_optional(wire.get("service_project_id")),
            service_roles=tuple(str(r) for r in wire.get("service_roles") or ()),
        )

    def to_policy_values(self) -> dict[str, Any]:
        """The credentials oslo.policy checks; lists, since its generic checks look into lists only."""
        return {
            "user_id": self.user_id, "user_domain_id": self.user_domain_id, "system_scope": self.system_scope,
            "domain_id": self.domain_id, "project_id": self.project_id or None,
            "project_domain_id": self.project_domain_id, "roles": list(self.roles),
            "is_admin_project": self.is_admin_project, "service_user_id": self.service_user_id,
            "service_project_id": self.service_project_id, "service_roles": list(self.service_roles),
            "is_admin": self.is_admin,
        }

    @classmethod
    def service(cls, name: str) -> RequestContext:
        """The context of work a service starts itself (periodic tasks, recovery)."""
        return cls(user_id=name, project_id="", is_admin=True)


def _optional(value: Any) -> str | None:
    return None if value is None else str(value)


def current_request_id() -> str:
    return _request_id.get()


@contextmanager
def bound_request_id(request_id: str) -> Iterator[None]:
    token = _request_id.set(request_id)
    try:
        yield
    finally:
        _request_id.reset(token)


@contextmanager
def request_scope(wire_ctx: Mapping[str, Any]) -> Iterator[RequestContext]:
    ctx = RequestContext.from_wire(wire_ctx)
    with bound_request_id(ctx.request_id):
        yield ctx
