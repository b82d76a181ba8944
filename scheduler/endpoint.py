"""RPC endpoint of the scheduler."""

from __future__ import annotations

from typing import Any

import oslo_messaging as messaging

from common.context import request_scope
from scheduler.manager import SchedulerManager


class SchedulerEndpoint:
    target = messaging.Target(version="1.0")

    def __init__(self, manager: SchedulerManager) -> None:
        self._manager = manager

    @messaging.expose
    def create_volume(self, wire_ctx: dict[str, Any], volume_id: str) -> None:
        with request_scope(wire_ctx) as ctx:
            self._manager.create_volume(ctx, volume_id)
