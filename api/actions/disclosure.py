"""How much an error answered to the caller says: user-level words for everyone, the detail for admins.

A project reads why its request failed in words about its own resources. A backend host, a
storage command line or a driver's own text is an operator's business: it reaches the log
(under the request id every answer carries) and, after the user-level words, an admin's
answer, as Cinder shows admins more (``os-vol-host-attr:host``).
"""

from __future__ import annotations

from api.request import ApiCall
from rpc.errors import ServiceUnavailable


def for_caller(call: ApiCall, public: str, detail: str | None) -> str:
    """``public``, followed for an admin by ``detail`` (when it adds something)."""
    if call.is_admin and detail and detail not in public:
        return f"{public} [{detail}]"
    return public


def unavailable(call: ApiCall, error: ServiceUnavailable, then: str = "") -> ServiceUnavailable:
    """``error`` as the caller may read it, with ``then`` (what became of the request) after it."""
    public = f"{error} {then}".strip()
    return ServiceUnavailable(for_caller(call, public, error.detail), detail=f"{error.detail}; {then}".strip("; "))
