"""A driver that stores nothing, for benchmarks of the control plane only.

Every operation succeeds (after ``noop_delay_ms``); it reports one thin pool of ``noop_capacity_gb``.
"""

from __future__ import annotations

import time

from oslo_config import cfg

from drivers.base import PoolStats

POOL_NAME = "noop"


class NoopDriver:
    def __init__(self, conf: cfg.ConfigOpts, backend: str) -> None:
        self._capacity_gb = float(conf[backend].noop_capacity_gb)
        self._delay_s = conf[backend].noop_delay_ms / 1000.0

    def _pause(self) -> None:
        if self._delay_s > 0:
            time.sleep(self._delay_s)

    def setup(self) -> None:
        pass

    def pool_stats(self) -> list[PoolStats]:
        return [PoolStats(
            pool_name=POOL_NAME,
            total_capacity_gb=self._capacity_gb,
            free_capacity_gb=self._capacity_gb,
            thin_provisioning_support=True,
            extra={"storage_protocol": "noop", "vendor_name": "ember", "driver_version": "1.0",
                   "QoS_support": False, "multiattach": True},
        )]

    def create_volume(self, volume_id: str, size_gb: int) -> None:
        self._pause()

    def create_volume_from_snapshot(self, volume_id: str, size_gb: int, *, snapshot_id: str,
                                    source_volume_id: str) -> None:
        self._pause()

    def clone_volume(self, volume_id: str, size_gb: int, *, source_volume_id: str) -> None:
        self._pause()

    def extend_volume(self, volume_id: str, new_size_gb: int) -> None:
        self._pause()

    def delete_volume(self, volume_id: str) -> None:
        self._pause()

    def create_snapshot(self, snapshot_id: str, *, volume_id: str) -> None:
        self._pause()

    def delete_snapshot(self, snapshot_id: str, *, volume_id: str) -> None:
        self._pause()

    def volume_path(self, volume_id: str) -> str | None:
        return None
