"""The driver interface: what a volume service asks of its storage.

A driver knows nothing of the DB, RPC or statuses. Every operation is idempotent: creating
a volume that exists, or deleting one that is gone, succeeds, so that a successor can
replay work a dead service left unfinished.

Exports and connections follow Cinder's split: ``create_export`` makes the volume reachable
and returns what the DB must keep (:class:`Export`: where, and the CHAP credentials);
``ensure_export`` rebuilds it from that record after a restart; ``initialize_connection``
turns a compute host's connector (os-brick's: ``initiator``, ``ip``, ``host``, ...) into the
``connection_info`` the host's connector reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from oslo_config import cfg

from drivers.manageable import Manageable

Connector = dict[str, Any]
ConnectionInfo = dict[str, Any]  # {"driver_volume_type": ..., "data": {...}}, as os-brick reads it


@dataclass(frozen=True)
class PoolStats:
    """One pool's capacity as the driver sees it; the volume service adds the names."""

    pool_name: str
    total_capacity_gb: float
    free_capacity_gb: float
    provisioned_capacity_gb: float = 0.0  # the sum of the sizes of the volumes (and snapshots) it holds
    thin_provisioning_support: bool = False
    extra: dict[str, Any] = field(default_factory=dict)  # capabilities matched against extra specs
    # a driver's own limits, instead of the backend section's (the nfs driver's nfs_*_ratio)
    max_over_subscription_ratio: float | None = None
    reserved_percentage: int | None = None


@dataclass(frozen=True)
class Export:
    """What the DB keeps of a volume's export: Cinder's provider_location and provider_auth."""

    provider_location: str | None = None
    provider_auth: str | None = field(default=None, repr=False)  # "CHAP <user> <secret>": never logged


@dataclass(frozen=True)
class DataLocation:
    """Where the backup service reads or writes a volume's (or snapshot's) bytes: a path on this host
    (an LV's device, a file) or an nfs:// URL, and the image format there (raw, qcow2: a chain is
    read through qemu, flattened to what the guest sees)."""

    location: str
    format: str = "raw"


# What ember's drivers can enforce of Cinder's back-end QoS keys (total/read/write _iops_sec and
# _bytes_sec, and the rest): nothing. tgtd (1.0.85) has no per-target or per-LUN rate limit: its
# logical-unit parameters are identity strings, removable, sense_format, online, mode_page, readonly and
# thin_provisioning, its backing-store options the block size and O_DIRECT/O_SYNC. The file and NFS
# drivers hand out plain files, which have no rate limit either. The keys are kept (and front-end keys
# still reach the hypervisor through connection_info); the drivers say what they leave unenforced.
NOT_ENFORCED_BY_TGTD = "the iSCSI target has no per-LUN I/O rate limit (tgtd has none; ember's LIO helper sets none)"
NOT_ENFORCED_BY_FILES = "a file on a local or NFS file system has no I/O rate limit"


def unenforced(specs: Mapping[str, str], why: str) -> dict[str, str]:
    """Every key, with the one reason: what a driver that enforces none of them returns."""
    return {key: why for key in sorted(specs)}


class VolumeDriver(Protocol):
    # True when an export is a fixed address (a share, a file) that nothing is made for: the volume service
    # then records it with the connection's landing instead of in a write of its own before it
    static_exports: bool

    def __init__(self, conf: cfg.ConfigOpts, backend: str) -> None:
        """``conf`` is the whole config; the driver reads its options from section ``backend``."""

    def setup(self) -> None:
        """Check the storage is usable (create folders, find tools); raise BackendUnavailable."""

    def pool_stats(self) -> list[PoolStats]: ...

    # -- volumes and snapshots. ``pool`` is the one the scheduler chose (host@backend#pool).

    def create_volume(self, volume_id: str, size_gb: int, *, pool: str | None = None) -> None: ...

    def create_volume_from_snapshot(self, volume_id: str, size_gb: int, *, snapshot_id: str,
                                    source_volume_id: str, pool: str | None = None) -> None:
        """A new volume with the snapshot's data, grown to ``size_gb``."""

    def clone_volume(self, volume_id: str, size_gb: int, *, source_volume_id: str,
                     pool: str | None = None) -> None: ...

    def extend_volume(self, volume_id: str, new_size_gb: int) -> None: ...

    def delete_volume(self, volume_id: str) -> None: ...

    def create_snapshot(self, snapshot_id: str, *, volume_id: str) -> None: ...

    def delete_snapshot(self, snapshot_id: str, *, volume_id: str) -> None: ...

    def revert_to_snapshot(self, volume_id: str, *, snapshot_id: str) -> None:
        """The volume's data becomes the snapshot's again (its size stays)."""

    def volume_size(self, volume_id: str) -> int | None:
        """The volume's size in bytes as its user sees it; None if the storage holds no such volume."""

    # -- manage and unmanage (drivers/manageable.py): ``name`` is a reference's source-name

    def manageable_volumes(self) -> list[Manageable]:
        """What the storage holds that could become a volume (ember's own volumes included: the caller
        marks those it holds)."""

    def manageable_snapshots(self) -> list[Manageable]: ...

    def manageable_volume(self, name: str) -> Manageable:
        """``name`` as it would be managed (size, pool); ManageRefInvalid if missing or not safe."""

    def manage_volume(self, volume_id: str, name: str, *, size_gb: int) -> None:
        """Take ``name`` over as the volume (renamed to the driver's name for it, grown to ``size_gb``);
        a replay after the rename finishes it."""

    def unmanage_volume(self, volume_id: str) -> None:
        """Let go of the volume: its export goes, its data stays on the storage."""

    def manageable_snapshot(self, name: str) -> Manageable: ...

    def manage_snapshot(self, snapshot_id: str, *, volume_id: str, name: str) -> None: ...

    def unmanage_snapshot(self, snapshot_id: str, *, volume_id: str) -> None: ...

    # -- exports and connections

    def create_export(self, volume_id: str, connector: Connector | None) -> Export:
        """A new export (new credentials), replacing any the volume had; where the DB already
        keeps one, the caller uses ``ensure_export`` with it instead."""

    def ensure_export(self, volume_id: str, export: Export) -> None:
        """Make the export ``create_export`` returned exist again (after a restart of the target)."""

    def remove_export(self, volume_id: str, export: Export) -> None: ...

    def initialize_connection(self, volume_id: str, export: Export, connector: Connector) -> ConnectionInfo:
        """Give the connector's host access to the export (which create_export or ensure_export made)."""

    def terminate_connection(self, volume_id: str, export: Export, connector: Connector | None) -> None: ...

    def volume_path(self, volume_id: str) -> str | None:
        """Where the volume's bytes are on this host (file drivers), for tests and tools."""

    def apply_qos(self, volume_id: str, specs: Mapping[str, str]) -> dict[str, str]:
        """Enforce what the storage can of the back-end QoS ``specs`` of the volume's type (at create and at
        each connect); return the keys it does not enforce, each with why, for the caller to report."""

    def data_location(self, volume_id: str, *, snapshot_id: str | None = None) -> DataLocation:
        """Where the backup service reads (or, for a volume, writes) the volume's or its snapshot's bytes;
        SourceNotFound if the storage has no such volume or snapshot."""
