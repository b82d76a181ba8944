"""RPC endpoint of the volume service: rebinds the request context, hands over to the manager."""

from __future__ import annotations

from typing import Any

import oslo_messaging as messaging

from common.context import request_scope
from volume.manager import VolumeManager
from volume.recovery import resume_stuck_work


class VolumeEndpoint:
    target = messaging.Target(version="1.0")

    def __init__(self, manager: VolumeManager) -> None:
        self._manager = manager

    @messaging.expose
    def create_volume(self, wire_ctx: dict[str, Any], volume_id: str) -> None:
        with request_scope(wire_ctx) as ctx:
            self._manager.create_volume(ctx, volume_id)

    @messaging.expose
    def delete_volume(self, wire_ctx: dict[str, Any], volume_id: str) -> None:
        with request_scope(wire_ctx) as ctx:
            self._manager.delete_volume(ctx, volume_id)

    @messaging.expose
    def extend_volume(self, wire_ctx: dict[str, Any], volume_id: str, new_size_gb: int) -> None:
        with request_scope(wire_ctx) as ctx:
            self._manager.extend_volume(ctx, volume_id, new_size_gb)

    @messaging.expose
    def create_snapshot(self, wire_ctx: dict[str, Any], snapshot_id: str) -> None:
        with request_scope(wire_ctx) as ctx:
            self._manager.create_snapshot(ctx, snapshot_id)

    @messaging.expose
    def delete_snapshot(self, wire_ctx: dict[str, Any], snapshot_id: str) -> None:
        with request_scope(wire_ctx) as ctx:
            self._manager.delete_snapshot(ctx, snapshot_id)

    @messaging.expose
    def recover(self, wire_ctx: dict[str, Any]) -> None:
        with request_scope(wire_ctx):
            resume_stuck_work(self._manager, older_than_s=0)
