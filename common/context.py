"""The request context: who asks, for which project, under which request id.

It travels with every RPC message (``to_wire``/``from_wire``) so that api, scheduler and
volume log lines of one request share its request id.
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
    project_id: str
    is_admin: bool = False
    request_id: str = field(default_factory=new_request_id)

    def to_wire(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_wire(cls, wire: Mapping[str, Any]) -> RequestContext:
        return cls(
            user_id=str(wire.get("user_id", "")),
            project_id=str(wire.get("project_id", "")),
            is_admin=bool(wire.get("is_admin", False)),
            request_id=str(wire.get("request_id") or new_request_id()),
        )

    @classmethod
    def service(cls, name: str) -> RequestContext:
        """The context of work a service starts itself (periodic tasks, recovery)."""
        return cls(user_id=name, project_id="", is_admin=True)


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
