"""A driver that stores no data, for benchmarks of the control plane only.

Every operation succeeds (after ``noop_delay_ms``) and is remembered in memory, so that sizes
and existence answer as a real driver's would; it reports one thin pool of ``noop_capacity_gb``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping

from oslo_config import cfg

from common.capabilities import ATTACHED_SNAPSHOTS
from drivers.base import ConnectionInfo, Connector, DataLocation, Export, PoolStats, unenforced
from drivers.errors import ManageRefInvalid, SourceNotFound
from drivers.manageable import Manageable, ember_id_of

POOL_NAME = "noop"
GiB = 1024 ** 3


class NoopDriver:
    static_exports = True  # nothing is made per export (drivers/base.py)

    def __init__(self, conf: cfg.ConfigOpts, backend: str) -> None:
        self._capacity_gb = float(conf[backend].noop_capacity_gb)
        self._delay_s = conf[backend].noop_delay_ms / 1000.0
        self._lock = threading.Lock()
        self._volumes: dict[str, int] = {}  # id -> size in GiB
        self._snapshots: dict[str, int] = {}
        self.unmanaged: dict[str, int] = {}  # name -> size in GiB: what an unmanage left (or a test put)

    def _pause(self) -> None:
        if self._delay_s > 0:
            time.sleep(self._delay_s)

    def setup(self) -> None:
        pass

    def pool_stats(self) -> list[PoolStats]:
        with self._lock:
            provisioned = float(sum(self._volumes.values()))
        return [PoolStats(
            pool_name=POOL_NAME,
            total_capacity_gb=self._capacity_gb,
            free_capacity_gb=self._capacity_gb,
            provisioned_capacity_gb=provisioned,
            thin_provisioning_support=True,
            extra={"storage_protocol": "noop", "vendor_name": "ember", "driver_version": "1.0",
                   "QoS_support": False, "multiattach": True, ATTACHED_SNAPSHOTS: True},
        )]

    def _grow(self, volume_id: str, size_gb: int) -> None:
        with self._lock:
            self._volumes[volume_id] = max(size_gb, self._volumes.get(volume_id, 0))

    def create_volume(self, volume_id: str, size_gb: int, *, pool: str | None = None) -> None:
        self._pause()
        self._grow(volume_id, size_gb)

    def create_volume_from_snapshot(self, volume_id: str, size_gb: int, *, snapshot_id: str,
                                    source_volume_id: str, pool: str | None = None) -> None:
        self._pause()
        if volume_id not in self._volumes and snapshot_id not in self._snapshots:
            raise SourceNotFound(f"no snapshot {snapshot_id}")
        self._grow(volume_id, size_gb)

    def clone_volume(self, volume_id: str, size_gb: int, *, source_volume_id: str,
                     pool: str | None = None) -> None:
        self._pause()
        if volume_id not in self._volumes and source_volume_id not in self._volumes:
            raise SourceNotFound(f"no volume {source_volume_id}")
        self._grow(volume_id, size_gb)

    def extend_volume(self, volume_id: str, new_size_gb: int) -> None:
        self._pause()
        self._grow(volume_id, new_size_gb)

    def delete_volume(self, volume_id: str) -> None:
        self._pause()
        with self._lock:
            self._volumes.pop(volume_id, None)

    def create_snapshot(self, snapshot_id: str, *, volume_id: str) -> None:
        self._pause()
        with self._lock:
            if snapshot_id not in self._snapshots:
                if volume_id not in self._volumes:
                    raise SourceNotFound(f"no volume {volume_id}")
                self._snapshots[snapshot_id] = self._volumes[volume_id]

    def delete_snapshot(self, snapshot_id: str, *, volume_id: str) -> None:
        self._pause()
        with self._lock:
            self._snapshots.pop(snapshot_id, None)

    def revert_to_snapshot(self, volume_id: str, *, snapshot_id: str) -> None:
        self._pause()
        if snapshot_id not in self._snapshots:
            raise SourceNotFound(f"no snapshot {snapshot_id}")

    def volume_size(self, volume_id: str) -> int | None:
        size_gb = self._volumes.get(volume_id)
        return None if size_gb is None else size_gb * GiB

    def manageable_volumes(self) -> list[Manageable]:
        with self._lock:
            held = [Manageable(name=f"volume-{v}", size_gb=size, ember_id=v) for v, size in self._volumes.items()]
            return held + [Manageable(name=n, size_gb=size, ember_id=ember_id_of(n))
                           for n, size in self.unmanaged.items()]

    def manageable_snapshots(self) -> list[Manageable]:
        return []

    def manageable_volume(self, name: str) -> Manageable:
        if name not in self.unmanaged:
            raise ManageRefInvalid(f"the noop driver has no {name}")
        return Manageable(name=name, size_gb=self.unmanaged[name], pool=POOL_NAME)

    def manage_volume(self, volume_id: str, name: str, *, size_gb: int) -> None:
        self._pause()
        with self._lock:
            if volume_id in self._volumes:
                return
            if name not in self.unmanaged:
                raise ManageRefInvalid(f"the noop driver has no {name}")
            del self.unmanaged[name]
            self._volumes[volume_id] = size_gb

    def unmanage_volume(self, volume_id: str) -> None:
        with self._lock:
            if volume_id in self._volumes:
                self.unmanaged[f"volume-{volume_id}"] = self._volumes.pop(volume_id)

    def manageable_snapshot(self, name: str) -> Manageable:
        raise ManageRefInvalid("the noop driver does not manage snapshots")

    def manage_snapshot(self, snapshot_id: str, *, volume_id: str, name: str) -> None:
        raise ManageRefInvalid("the noop driver does not manage snapshots")

    def unmanage_snapshot(self, snapshot_id: str, *, volume_id: str) -> None:
        with self._lock:
            self._snapshots.pop(snapshot_id, None)

    def create_export(self, volume_id: str, connector: Connector | None) -> Export:
        return Export(provider_location=f"noop:{volume_id}")

    def ensure_export(self, volume_id: str, export: Export) -> None:
        pass

    def remove_export(self, volume_id: str, export: Export) -> None:
        pass

    def initialize_connection(self, volume_id: str, export: Export, connector: Connector) -> ConnectionInfo:
        if volume_id not in self._volumes:
            raise SourceNotFound(f"no volume {volume_id}")
        return {"driver_volume_type": "noop", "data": {"volume_id": volume_id, "access_mode": "rw"}}

    def terminate_connection(self, volume_id: str, export: Export, connector: Connector | None) -> None:
        pass


    def apply_qos(self, volume_id: str, specs: Mapping[str, str]) -> dict[str, str]:
        return unenforced(specs, "the noop driver stores nothing")

    def volume_path(self, volume_id: str) -> str | None:
        return None

    def data_location(self, volume_id: str, *, snapshot_id: str | None = None) -> DataLocation:
        raise SourceNotFound("the noop driver keeps no data")
