"""The only code that knows the scheduler's RPC method names."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import oslo_messaging as messaging

from common.context import RequestContext
from rpc import transport
from rpc.errors import ServiceUnavailable


class SchedulerClient:
    def create_volume(self, ctx: RequestContext, *, volume_id: str) -> None:
        """Cast to the shared scheduler queue; any scheduler picks it up."""
        try:
            transport.client(transport.SCHEDULER_TOPIC).cast(ctx, "create_volume", volume_id=volume_id)
        except messaging.MessagingException as error:
            raise ServiceUnavailable(f"scheduler unreachable: {error}") from error

    def report_capabilities(self, ctx: RequestContext, *, backend_host: str,
                            pools: Sequence[Mapping[str, Any]]) -> None:
        """Fanout to every scheduler, so their pool caches follow the volume services at once."""
        transport.client(transport.SCHEDULER_TOPIC, fanout=True).cast(
            ctx, "update_capabilities", backend_host=backend_host, pools=list(pools))
