"""The only code that knows the volume service's RPC method names: casts to a backend host."""

from __future__ import annotations

from typing import Any

from common import binaries
from common.context import RequestContext
from rpc import transport
from rpc.errors import ServiceUnavailable

BINARY = binaries.VOLUME
UNREACHABLE = "The volume's storage service cannot be reached right now; retry later."


class VolumeClient:
    """Casts work to ``ember-volume`` on one backend host (``host@backend``); calls what the api waits for."""

    def _cast(self, ctx: RequestContext, backend_host: str, method: str, **kwargs: object) -> None:
        import oslo_messaging as messaging  # loaded with the transport: not in a process that never sends

        try:
            transport.client(transport.VOLUME_TOPIC, server=backend_host).cast(ctx, method, **kwargs)
        except messaging.MessagingException as error:
            raise ServiceUnavailable(UNREACHABLE, detail=f"volume service {backend_host} unreachable: {error}") \
                from error

    def _call(self, ctx: RequestContext, backend_host: str, method: str, *, timeout_s: int,
              **kwargs: object) -> dict[str, Any]:
        """The answer of the backend's active; ServiceUnavailable if none answered within ``timeout_s``
        (the request waits in the backend's queue meanwhile, so a takeover shorter than that is invisible)."""
        import oslo_messaging as messaging

        try:
            answer = transport.client(transport.VOLUME_TOPIC, server=backend_host, timeout_s=timeout_s).call(
                ctx, method, **kwargs)
        except messaging.MessagingTimeout as error:
            raise ServiceUnavailable(f"The volume's storage service did not answer within {timeout_s} s.",
                                     detail=f"the volume service of {backend_host} did not answer within "
                                            f"{timeout_s} s") from error
        except messaging.MessagingException as error:
            raise ServiceUnavailable(UNREACHABLE, detail=f"volume service {backend_host} unreachable: {error}") \
                from error
        return dict(answer or {})

    def connect_attachment(self, ctx: RequestContext, backend_host: str, *, attachment_id: str,
                           timeout_s: int) -> dict[str, Any]:
        return self._call(ctx, backend_host, "connect_attachment", timeout_s=timeout_s, attachment_id=attachment_id)

    def disconnect_attachment(self, ctx: RequestContext, backend_host: str, *, attachment_id: str,
                              timeout_s: int) -> dict[str, Any]:
        return self._call(ctx, backend_host, "disconnect_attachment", timeout_s=timeout_s,
                          attachment_id=attachment_id)

    def terminate_connection(self, ctx: RequestContext, backend_host: str, *, volume_id: str,
                             connector: dict[str, Any], timeout_s: int) -> dict[str, Any]:
        return self._call(ctx, backend_host, "terminate_connection", timeout_s=timeout_s, volume_id=volume_id,
                          connector=connector)

    def data_location(self, ctx: RequestContext, backend_host: str, *, volume_id: str, snapshot_id: str | None,
                      timeout_s: int) -> dict[str, Any]:
        """The backup service's question: where the volume's (or snapshot's) bytes are (``location``, ``format``)."""
        return self._call(ctx, backend_host, "data_location", timeout_s=timeout_s, volume_id=volume_id,
                          snapshot_id=snapshot_id)

    def manageable(self, ctx: RequestContext, backend_host: str, *, kind: str, name: str | None,
                   timeout_s: int) -> dict[str, Any]:
        """The backend's manageable ``kind`` (volumes, snapshots): ``entries``; or, with ``name``, that one
        checked before a manage: ``entry`` and ``pool``, or ``error``."""
        return self._call(ctx, backend_host, "manageable", timeout_s=timeout_s, kind=kind, name=name)

    def manage_volume(self, ctx: RequestContext, backend_host: str, *, volume_id: str, name: str) -> None:
        self._cast(ctx, backend_host, "manage_volume", volume_id=volume_id, name=name)

    def unmanage_volume(self, ctx: RequestContext, backend_host: str, *, volume_id: str) -> None:
        self._cast(ctx, backend_host, "unmanage_volume", volume_id=volume_id)

    def manage_snapshot(self, ctx: RequestContext, backend_host: str, *, snapshot_id: str, name: str) -> None:
        self._cast(ctx, backend_host, "manage_snapshot", snapshot_id=snapshot_id, name=name)

    def unmanage_snapshot(self, ctx: RequestContext, backend_host: str, *, snapshot_id: str) -> None:
        self._cast(ctx, backend_host, "unmanage_snapshot", snapshot_id=snapshot_id)

    def migration_target(self, ctx: RequestContext, backend_host: str, *, volume_id: str, size_gb: int,
                         pool: str | None, timeout_s: int) -> dict[str, Any]:
        """A migration's source asks the destination's active to make the target; where its bytes are."""
        return self._call(ctx, backend_host, "migration_target", timeout_s=timeout_s, volume_id=volume_id,
                          size_gb=size_gb, pool=pool)

    def migration_discard(self, ctx: RequestContext, backend_host: str, *, volume_id: str,
                          timeout_s: int) -> dict[str, Any]:
        """Take a failed migration's target away on the destination."""
        return self._call(ctx, backend_host, "migration_discard", timeout_s=timeout_s, volume_id=volume_id)

    def migrate_volume(self, ctx: RequestContext, backend_host: str, *, volume_id: str) -> None:
        """Ask the source's active to move the volume to its migration_host (migrate or retype)."""
        self._cast(ctx, backend_host, "migrate_volume", volume_id=volume_id)

    def create_volume(self, ctx: RequestContext, backend_host: str, *, volume_id: str) -> None:
        self._cast(ctx, backend_host, "create_volume", volume_id=volume_id)

    def delete_volume(self, ctx: RequestContext, backend_host: str, *, volume_id: str) -> None:
        self._cast(ctx, backend_host, "delete_volume", volume_id=volume_id)

    def extend_volume(self, ctx: RequestContext, backend_host: str, *, volume_id: str,
                      new_size_gb: int) -> None:
        self._cast(ctx, backend_host, "extend_volume", volume_id=volume_id, new_size_gb=new_size_gb)

    def revert_volume(self, ctx: RequestContext, backend_host: str, *, volume_id: str, snapshot_id: str) -> None:
        self._cast(ctx, backend_host, "revert_volume", volume_id=volume_id, snapshot_id=snapshot_id)

    def create_snapshot(self, ctx: RequestContext, backend_host: str, *, snapshot_id: str) -> None:
        self._cast(ctx, backend_host, "create_snapshot", snapshot_id=snapshot_id)

    def delete_snapshot(self, ctx: RequestContext, backend_host: str, *, snapshot_id: str) -> None:
        self._cast(ctx, backend_host, "delete_snapshot", snapshot_id=snapshot_id)

    def create_group_snapshot(self, ctx: RequestContext, backend_host: str, *, group_snapshot_id: str) -> None:
        self._cast(ctx, backend_host, "create_group_snapshot", group_snapshot_id=group_snapshot_id)

    def delete_group_snapshot(self, ctx: RequestContext, backend_host: str, *, group_snapshot_id: str) -> None:
        self._cast(ctx, backend_host, "delete_group_snapshot", group_snapshot_id=group_snapshot_id)

    def recover(self, ctx: RequestContext, backend_host: str) -> None:
        """Ask the backend's active to resume or fail its unfinished work now (workers/cleanup)."""
        self._cast(ctx, backend_host, "recover")

    def forward(self, ctx: RequestContext, backend_host: str, method: str, **kwargs: object) -> None:
        """Put a message a non-active service received back on the backend's queue, unchanged."""
        self._cast(ctx, backend_host, method, **kwargs)
