"""The only code that knows the scheduler's RPC method names."""

from __future__ import annotations

from common.context import RequestContext
from rpc import transport
from rpc.errors import ServiceUnavailable


class SchedulerClient:
    def create_volume(self, ctx: RequestContext, *, volume_id: str) -> None:
        """Cast to the shared scheduler queue; any scheduler picks it up."""
        import oslo_messaging as messaging  # loaded with the transport: not in a process that never sends

        try:
            transport.client(transport.SCHEDULER_TOPIC).cast(ctx, "create_volume", volume_id=volume_id)
        except messaging.MessagingException as error:
            raise ServiceUnavailable("No scheduler can be reached right now; retry later.",
                                     detail=f"scheduler unreachable: {error}") from error
