"""The only code that knows the volume service's RPC method names: casts to a backend host."""

from __future__ import annotations

import oslo_messaging as messaging

from common import binaries
from common.context import RequestContext
from rpc import transport
from rpc.errors import ServiceUnavailable

BINARY = binaries.VOLUME


class VolumeClient:
    """Casts work to ``ember-volume`` on one backend host (``host@backend``)."""

    def _cast(self, ctx: RequestContext, backend_host: str, method: str, **kwargs: object) -> None:
        try:
            transport.client(transport.VOLUME_TOPIC, server=backend_host).cast(ctx, method, **kwargs)
        except messaging.MessagingException as error:
            raise ServiceUnavailable(f"volume service {backend_host} unreachable: {error}") from error

    def create_volume(self, ctx: RequestContext, backend_host: str, *, volume_id: str) -> None:
        self._cast(ctx, backend_host, "create_volume", volume_id=volume_id)

    def delete_volume(self, ctx: RequestContext, backend_host: str, *, volume_id: str) -> None:
        self._cast(ctx, backend_host, "delete_volume", volume_id=volume_id)

    def extend_volume(self, ctx: RequestContext, backend_host: str, *, volume_id: str,
                      new_size_gb: int) -> None:
        self._cast(ctx, backend_host, "extend_volume", volume_id=volume_id, new_size_gb=new_size_gb)

    def create_snapshot(self, ctx: RequestContext, backend_host: str, *, snapshot_id: str) -> None:
        self._cast(ctx, backend_host, "create_snapshot", snapshot_id=snapshot_id)

    def delete_snapshot(self, ctx: RequestContext, backend_host: str, *, snapshot_id: str) -> None:
        self._cast(ctx, backend_host, "delete_snapshot", snapshot_id=snapshot_id)

    def recover(self, ctx: RequestContext, backend_host: str) -> None:
        """Ask the backend's active to resume or fail its unfinished work now (workers/cleanup)."""
        self._cast(ctx, backend_host, "recover")

    def forward(self, ctx: RequestContext, backend_host: str, method: str, **kwargs: object) -> None:
        """Put a message a non-active service received back on the backend's queue, unchanged."""
        self._cast(ctx, backend_host, method, **kwargs)
