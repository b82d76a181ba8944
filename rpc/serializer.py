"""Carries the request context (and with it the request id) inside every RPC message."""

from __future__ import annotations

from typing import Any

import oslo_messaging as messaging

from common.context import RequestContext


class ContextSerializer(messaging.NoOpSerializer):  # type: ignore[misc]
    def serialize_context(self, ctxt: RequestContext | dict[str, Any]) -> dict[str, Any]:
        return ctxt.to_wire() if isinstance(ctxt, RequestContext) else dict(ctxt)

    def deserialize_context(self, ctxt: dict[str, Any]) -> dict[str, Any]:
        return ctxt
