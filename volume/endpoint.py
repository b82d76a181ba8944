"""RPC endpoint of the volume service: rebinds the request context, hands over to the manager.

A message reaching a process that is not (or no longer) its backend's active — one taken off
the queue just before a hand-over, or held by a paused process that woke up after a takeover —
is put back on the backend's queue for the active, never dropped: oslo.messaging has already
acknowledged it. A call (the api waits for its answer) is answered "not acted" instead, and the
api says so to its client as a retryable error.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import oslo_messaging as messaging

from common.context import RequestContext, request_scope
from rpc.errors import ServiceUnavailable
from volume.client import VolumeClient
from volume.manager import Outcome, VolumeManager
from volume.recovery import resume_stuck_work

log = logging.getLogger(__name__)


class VolumeEndpoint:
    target = messaging.Target(version="1.0")

    def __init__(self, manager: VolumeManager, client: VolumeClient | None = None) -> None:
        self._manager = manager
        self._client = client or VolumeClient()

    def _serve(self, wire_ctx: dict[str, Any], method: str, run: Callable[[RequestContext], bool],
               **kwargs: Any) -> None:
        """``run`` the message's operation; False from it (not the active) puts the message back."""
        with request_scope(wire_ctx) as ctx:
            if run(ctx):
                return
            backend_host = self._manager.identity.backend_host
            log.info("%s: not the active; %s goes back to the queue", backend_host, method)
            try:
                self._client.forward(ctx, backend_host, method, **kwargs)
            except ServiceUnavailable as error:  # recovery finds the resource in its working status
                log.warning("%s: could not put %s back on the queue: %s", backend_host, method, error.detail)

    @messaging.expose
    def create_volume(self, wire_ctx: dict[str, Any], volume_id: str) -> None:
        self._serve(wire_ctx, "create_volume", lambda ctx: self._manager.create_volume(ctx, volume_id),
                    volume_id=volume_id)

    @messaging.expose
    def delete_volume(self, wire_ctx: dict[str, Any], volume_id: str) -> None:
        self._serve(wire_ctx, "delete_volume", lambda ctx: self._manager.delete_volume(ctx, volume_id),
                    volume_id=volume_id)

    @messaging.expose
    def extend_volume(self, wire_ctx: dict[str, Any], volume_id: str, new_size_gb: int) -> None:
        self._serve(wire_ctx, "extend_volume",
                    lambda ctx: self._manager.extend_volume(ctx, volume_id, new_size_gb),
                    volume_id=volume_id, new_size_gb=new_size_gb)

    @messaging.expose
    def revert_volume(self, wire_ctx: dict[str, Any], volume_id: str, snapshot_id: str) -> None:
        self._serve(wire_ctx, "revert_volume",
                    lambda ctx: self._manager.revert_volume(ctx, volume_id, snapshot_id),
                    volume_id=volume_id, snapshot_id=snapshot_id)

    @messaging.expose
    def migrate_volume(self, wire_ctx: dict[str, Any], volume_id: str) -> None:
        self._serve(wire_ctx, "migrate_volume", lambda ctx: self._manager.migrate_volume(ctx, volume_id),
                    volume_id=volume_id)

    @messaging.expose
    def create_snapshot(self, wire_ctx: dict[str, Any], snapshot_id: str) -> None:
        self._serve(wire_ctx, "create_snapshot", lambda ctx: self._manager.create_snapshot(ctx, snapshot_id),
                    snapshot_id=snapshot_id)

    @messaging.expose
    def delete_snapshot(self, wire_ctx: dict[str, Any], snapshot_id: str) -> None:
        self._serve(wire_ctx, "delete_snapshot", lambda ctx: self._manager.delete_snapshot(ctx, snapshot_id),
                    snapshot_id=snapshot_id)

    @messaging.expose
    def manage_volume(self, wire_ctx: dict[str, Any], volume_id: str, name: str) -> None:
        self._serve(wire_ctx, "manage_volume", lambda ctx: self._manager.manage_volume(ctx, volume_id, name),
                    volume_id=volume_id, name=name)

    @messaging.expose
    def unmanage_volume(self, wire_ctx: dict[str, Any], volume_id: str) -> None:
        self._serve(wire_ctx, "unmanage_volume", lambda ctx: self._manager.unmanage_volume(ctx, volume_id),
                    volume_id=volume_id)

    @messaging.expose
    def manage_snapshot(self, wire_ctx: dict[str, Any], snapshot_id: str, name: str) -> None:
        self._serve(wire_ctx, "manage_snapshot", lambda ctx: self._manager.manage_snapshot(ctx, snapshot_id, name),
                    snapshot_id=snapshot_id, name=name)

    @messaging.expose
    def unmanage_snapshot(self, wire_ctx: dict[str, Any], snapshot_id: str) -> None:
        self._serve(wire_ctx, "unmanage_snapshot", lambda ctx: self._manager.unmanage_snapshot(ctx, snapshot_id),
                    snapshot_id=snapshot_id)

    @messaging.expose
    def create_group_snapshot(self, wire_ctx: dict[str, Any], group_snapshot_id: str) -> None:
        self._serve(wire_ctx, "create_group_snapshot",
                    lambda ctx: self._manager.create_group_snapshot(ctx, group_snapshot_id),
                    group_snapshot_id=group_snapshot_id)

    @messaging.expose
    def delete_group_snapshot(self, wire_ctx: dict[str, Any], group_snapshot_id: str) -> None:
        self._serve(wire_ctx, "delete_group_snapshot",
                    lambda ctx: self._manager.delete_group_snapshot(ctx, group_snapshot_id),
                    group_snapshot_id=group_snapshot_id)

    # -- calls: the api waits for these, so a process that is not the active says so instead of forwarding

    @messaging.expose
    def connect_attachment(self, wire_ctx: dict[str, Any], attachment_id: str) -> dict[str, Any]:
        with request_scope(wire_ctx) as ctx:
            return _answer(self._manager.connect_attachment(ctx, attachment_id))

    @messaging.expose
    def disconnect_attachment(self, wire_ctx: dict[str, Any], attachment_id: str) -> dict[str, Any]:
        with request_scope(wire_ctx) as ctx:
            return _answer(self._manager.disconnect_attachment(ctx, attachment_id))

    @messaging.expose
    def terminate_connection(self, wire_ctx: dict[str, Any], volume_id: str,
                             connector: dict[str, Any]) -> dict[str, Any]:
        with request_scope(wire_ctx) as ctx:
            return _answer(self._manager.terminate_connection(ctx, volume_id, connector))

    @messaging.expose
    def data_location(self, wire_ctx: dict[str, Any], volume_id: str, snapshot_id: str | None = None) -> dict[str, Any]:
        with request_scope(wire_ctx):
            return self._manager.data_location(volume_id, snapshot_id)

    @messaging.expose
    def manageable(self, wire_ctx: dict[str, Any], kind: str, name: str | None = None) -> dict[str, Any]:
        with request_scope(wire_ctx):
            return self._manager.manageable(kind, name)

    @messaging.expose
    def migration_target(self, wire_ctx: dict[str, Any], volume_id: str, size_gb: int,
                         pool: str | None = None) -> dict[str, Any]:
        with request_scope(wire_ctx):
            return self._manager.migrations.make_target(volume_id, size_gb, pool)

    @messaging.expose
    def migration_discard(self, wire_ctx: dict[str, Any], volume_id: str) -> dict[str, Any]:
        with request_scope(wire_ctx):
            return self._manager.migrations.drop_target(volume_id)

    @messaging.expose
    def recover(self, wire_ctx: dict[str, Any]) -> None:
        self._serve(wire_ctx, "recover",
                    lambda ctx: self._manager.acting() and resume_stuck_work(self._manager, older_than_s=0) >= 0)


def _answer(outcome: Outcome) -> dict[str, Any]:
    return {"acted": outcome.acted, "error": outcome.error, "invalid": outcome.invalid}
