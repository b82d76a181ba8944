"""The driver interface: what a volume service asks of its storage.

A driver knows nothing of the DB, RPC or statuses. Every operation is idempotent: creating
a volume that exists, or deleting one that is gone, succeeds, so that a successor can
replay work a dead service left unfinished.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from oslo_config import cfg


@dataclass(frozen=True)
class PoolStats:
    """One pool's capacity as the driver sees it; the volume service adds the names."""

    pool_name: str
    total_capacity_gb: float
    free_capacity_gb: float
    thin_provisioning_support: bool = False
    extra: dict[str, Any] = field(default_factory=dict)  # capabilities matched against extra specs


class VolumeDriver(Protocol):
    def __init__(self, conf: cfg.ConfigOpts, backend: str) -> None:
        """``conf`` is the whole config; the driver reads its options from section ``backend``."""

    def setup(self) -> None:
        """Check the storage is usable (create folders, find tools); raise BackendUnavailable."""

    def pool_stats(self) -> list[PoolStats]: ...

    def create_volume(self, volume_id: str, size_gb: int) -> None: ...

    def create_volume_from_snapshot(self, volume_id: str, size_gb: int, *, snapshot_id: str,
                                    source_volume_id: str) -> None:
        """A new volume with the snapshot's data, grown to ``size_gb``."""

    def clone_volume(self, volume_id: str, size_gb: int, *, source_volume_id: str) -> None: ...

    def extend_volume(self, volume_id: str, new_size_gb: int) -> None: ...

    def delete_volume(self, volume_id: str) -> None: ...

    def create_snapshot(self, snapshot_id: str, *, volume_id: str) -> None: ...

    def delete_snapshot(self, snapshot_id: str, *, volume_id: str) -> None: ...

    def volume_path(self, volume_id: str) -> str | None:
        """Where the volume's bytes are on this host (file drivers), for tests and tools."""
