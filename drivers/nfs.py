"""The NFS driver: volumes are raw or qcow2 files on NFS shares; snapshots are qcow2 overlays.

Each share is one pool. A volume lives on one share as ``volume-<id>`` and, once snapshotted,
a chain of overlays: taking snapshot S freezes the file the volume writes to (the *active*
file) as S's data and puts a new overlay ``volume-<id>.<S>`` on top of it, which becomes the
active file. ``volume-<id>.info`` (drivers/nfs_chain.py) records the active file, each
snapshot's frozen file and every file's format. Deleting S merges its frozen file into the
file above it; a revert to the latest snapshot replaces the active overlay with an empty one.

A new volume's record is written before its file, and every file is written under a
temporary name and renamed into place, so a crash leaves either the old state or the new one
(plus a temporary file, removed once stale); a replay of the operation completes it.

Every file the driver writes is 0660 with the backend's owner and group (drivers/permissions.py),
made so before it has a name any host could open; the files already on a share are brought to
that at setup. Before qemu-img reads through a chain of files (a copy, a rebase, a resize), the
chain is checked from the headers down: each backing file must be one of the volume's own
files in its share, by full path, in the format its record gives.

Manage and unmanage are drivers/nfs_manage.py's, which the driver holds and delegates to.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from contextlib import suppress

from oslo_config import cfg

from common.capabilities import ATTACHED_SNAPSHOTS
from drivers import fileops, images, manageable, nfs_chain, nfs_shares
from drivers.base import (
    NOT_ENFORCED_BY_FILES,
    ConnectionInfo,
    Connector,
    DataLocation,
    Export,
    PoolStats,
    unenforced,
)
from drivers.errors import BackendUnavailable, DriverError, NotEnoughSpace, SourceNotFound
from drivers.fileops import translated
from drivers.images import Limits, QemuImg
from drivers.locks import VolumeLocks
from drivers.nfs_chain import Chain, base_name, overlay_name
from drivers.nfs_manage import NfsManagement
from drivers.nfs_shares import Share
from drivers.permissions import FileGuard, FilePermissions
from drivers.runner import Runner

log = logging.getLogger(__name__)

GiB = 1024 ** 3
VERSION = "1.1"


class NfsDriver:
    static_exports = True  # nothing is made per export (drivers/base.py)

    def __init__(self, conf: cfg.ConfigOpts, backend: str) -> None:
        section = conf[backend]
        self._shares_config: str = section.nfs_shares_config
        self._mount_base = os.path.abspath(section.nfs_mount_point_base
                                           or os.path.join(conf.state_path, "mnt", backend))
        self._mount_options: str | None = section.nfs_mount_options
        self._sparse: bool = section.nfs_sparsed_volumes
        self._format = "qcow2" if section.nfs_qcow2_volumes else "raw"
        self._oversub_ratio: float = section.nfs_oversub_ratio
        self._used_ratio: float = section.nfs_used_ratio
        self._backing_urls: bool = section.nfs_qemu_backing_urls
        self._runner = Runner(section.root_helper)
        self._qemu = QemuImg(self._runner, limits=Limits(
            cpu_s=section.image_conversion_cpu_limit,
            address_space_bytes=section.image_conversion_address_space_limit * GiB))
        self._secure = section.nas_secure_file_permissions in ("true", "auto")
        self._owner: str | None = section.nas_file_owner
        self._group: str | None = section.nas_file_group
        self._guard = FileGuard(None, self._runner)
        self._locks = VolumeLocks(os.path.join(conf.state_path, "locks", backend), self._runner)
        self._shares: dict[str, Share] = {}
        # setup replaces the shares and the file guard: the manage code reads them at each call
        self._management = NfsManagement(self._locks, shares=lambda: self._shares, guard=lambda: self._guard,
                                         find=self._find, active_info=self._active_info,
                                         grow_existing=self._grow_existing)

    # -- set-up and capacity

    def setup(self) -> None:
        self._qemu.setup()
        permissions = (FilePermissions.resolve(owner=self._owner, group=self._group) if self._secure else None)
        self._guard = FileGuard(permissions, self._runner)
        shares = {}
        for address, host, export, options in nfs_shares.read_shares_file(self._shares_config):
            share = nfs_shares.attach(self._runner, address=address, host=host, export=export, options=options,
                                      mount_point_base=self._mount_base, default_options=self._mount_options)
            try:
                self._guard.probe(share.local_path)
                self._guard.apply_to_folder(share.local_path, prefix="volume-")
                fileops.remove_stale_tmp_files(share.local_path)
            except OSError as exc:
                raise BackendUnavailable(f"nfs share {share.address} ({share.local_path}) is not writable: "
                                         f"{exc.strerror or exc}") from exc
            except DriverError as exc:
                raise BackendUnavailable(f"nfs share {share.address}: {exc}") from exc
            shares[address] = share
        self._shares = shares
        log.info("nfs driver ready on %s (format %s, sparse=%s, files %s)", ", ".join(shares), self._format,
                 self._sparse, "as qemu-img makes them" if permissions is None else permissions.describe())

    def pool_stats(self) -> list[PoolStats]:
        return [self._share_stats(share) for share in self._shares.values()]

    def _share_stats(self, share: Share) -> PoolStats:
        total_gb, free_gb, provisioned_gb = self._capacity(share)
        return PoolStats(
            pool_name=share.address,
            total_capacity_gb=round(total_gb, 2),
            free_capacity_gb=round(free_gb, 2),
            provisioned_capacity_gb=round(provisioned_gb, 2),
            thin_provisioning_support=self._sparse,
            # Cinder's mapping of the NFS ratios onto the scheduler's: it then places only what the share takes
            max_over_subscription_ratio=max(self._oversub_ratio, 1.0),
            reserved_percentage=round(100 * (1 - self._used_ratio)),
            extra={"storage_protocol": "nfs", "vendor_name": "ember", "driver_version": VERSION,
                   "QoS_support": False, "multiattach": False, "sparse_copy_volume": self._sparse,
                   "thick_provisioning_support": not self._sparse,
                   # the host keeps writing the file a snapshot freezes (Cinder asks Nova to snapshot it)
                   ATTACHED_SNAPSHOTS: False},
        )

    def _capacity(self, share: Share) -> tuple[float, float, float]:
        """(total, free, provisioned) GiB of ``share``; provisioned sums its volumes' sizes."""
        try:
            fs = os.statvfs(share.local_path)
            provisioned = 0
            with os.scandir(share.local_path) as entries:
                infos = [e.name for e in entries if e.name.startswith("volume-")
                         and e.name.endswith(nfs_chain.INFO_SUFFIX)]
            for info in infos:
                volume_id = info[len("volume-"):-len(nfs_chain.INFO_SUFFIX)]
                with suppress(FileNotFoundError, DriverError):  # deleted meanwhile, or not whole yet
                    provisioned += self._active_info(share, volume_id).virtual_size
        except OSError as exc:
            raise BackendUnavailable(f"cannot read nfs share {share.address}: {exc.strerror or exc}") from exc
        return fs.f_blocks * fs.f_frsize / GiB, fs.f_bavail * fs.f_frsize / GiB, provisioned / GiB

    def _active_info(self, share: Share, volume_id: str, chain: Chain | None = None) -> images.ImageInfo:
        chain = chain or nfs_chain.read(share.local_path, volume_id)
        if chain is None:
            raise FileNotFoundError(volume_id)
        return images.inspect(os.path.join(share.local_path, chain.active), chain.format_of(chain.active))


    def apply_qos(self, volume_id: str, specs: Mapping[str, str]) -> dict[str, str]:
        return unenforced(specs, NOT_ENFORCED_BY_FILES)  # none of them (drivers.base)

    def volume_path(self, volume_id: str) -> str | None:
        found = self._find(volume_id)
        return None if found is None else os.path.join(found[0].local_path, found[1].active)

    def data_location(self, volume_id: str, *, snapshot_id: str | None = None) -> DataLocation:
        share, chain = self._require(volume_id)
        name = chain.snapshots.get(snapshot_id) if snapshot_id else chain.active
        if name is None:
            raise SourceNotFound(f"volume {volume_id} has no snapshot {snapshot_id}")
        # the top of a chain (qcow2 over its backing files) is flattened by qemu when it is read
        return DataLocation(os.path.join(share.local_path, name), chain.format_of(name))

    def volume_size(self, volume_id: str) -> int | None:
        found = self._find(volume_id)
        if found is None or not os.path.exists(os.path.join(found[0].local_path, found[1].active)):
            return None
        return self._active_info(found[0], volume_id, found[1]).virtual_size

    # -- volumes

    def create_volume(self, volume_id: str, size_gb: int, *, pool: str | None = None) -> None:
        with self._locks.hold(volume_id):
            if self._grow_existing(volume_id, size_gb):
                return
            share, chain = self._new_record(volume_id, size_gb, pool)
            try:
                fileops.write_atomically(os.path.join(share.local_path, chain.active), lambda tmp: self._qemu.create(
                    tmp, self._format, size_gb * GiB, options=self._prealloc_options()), guard=self._guard)
            except DriverError:
                _forget_record(share, volume_id)
                raise
        log.info("created volume %s (%d GiB, %s) on %s", volume_id, size_gb, self._format, share.address)

    def create_volume_from_snapshot(self, volume_id: str, size_gb: int, *, snapshot_id: str,
                                    source_volume_id: str, pool: str | None = None) -> None:
        with self._locks.hold(volume_id, source_volume_id):
            if self._grow_existing(volume_id, size_gb):
                return
            found = self._find(source_volume_id)
            if found is None or snapshot_id not in found[1].snapshots:
                raise SourceNotFound(f"snapshot {snapshot_id} of volume {source_volume_id} is missing")
            share, chain = found
            frozen = chain.snapshots[snapshot_id]
            self._check_chain(share, chain, frozen)
            self._copy_to_new_volume(volume_id, size_gb, pool, os.path.join(share.local_path, frozen),
                                     chain.format_of(frozen), what=f"snapshot {snapshot_id}")
        log.info("created volume %s (%d GiB) from snapshot %s", volume_id, size_gb, snapshot_id)

    def clone_volume(self, volume_id: str, size_gb: int, *, source_volume_id: str,
                     pool: str | None = None) -> None:
        with self._locks.hold(volume_id, source_volume_id):
            if self._grow_existing(volume_id, size_gb):
                return
            found = self._find(source_volume_id)
            if found is None:
                raise SourceNotFound(f"source volume {source_volume_id} is missing")
            share, chain = found
            self._check_chain(share, chain, chain.active)
            self._copy_to_new_volume(volume_id, size_gb, pool, os.path.join(share.local_path, chain.active),
                                     chain.format_of(chain.active), what=f"volume {source_volume_id}")
        log.info("cloned volume %s from %s (%d GiB)", volume_id, source_volume_id, size_gb)

    def extend_volume(self, volume_id: str, new_size_gb: int) -> None:
        with self._locks.hold(volume_id):
            if not self._grow_existing(volume_id, new_size_gb):
                raise DriverError(f"cannot extend volume {volume_id}: no share holds it")
        log.info("extended volume %s to %d GiB", volume_id, new_size_gb)

    def delete_volume(self, volume_id: str) -> None:
        base = base_name(volume_id)
        with self._locks.hold(volume_id):
            for share in self._shares.values():
                with translated(f"cannot list nfs share {share.address}"), os.scandir(share.local_path) as entries:
                    names = [e.name for e in entries if _belongs_to(e.name, base)]
                info = base + nfs_chain.INFO_SUFFIX
                for name in sorted(names, key=lambda n: n == info):  # the record goes last
                    fileops.remove(os.path.join(share.local_path, name))

    # -- snapshots

    def create_snapshot(self, snapshot_id: str, *, volume_id: str) -> None:
        with self._locks.hold(volume_id):
            share, chain = self._require(volume_id)
            if snapshot_id in chain.snapshots:
                return
            frozen = chain.active
            overlay = overlay_name(volume_id, snapshot_id)
            fileops.write_atomically(os.path.join(share.local_path, overlay), lambda tmp: self._qemu.create(
                tmp, "qcow2", None, backing=self._backing_ref(share, frozen), backing_format=chain.format_of(frozen)),
                guard=self._guard)
            chain.snapshots[snapshot_id] = frozen
            chain.formats[overlay] = "qcow2"
            chain.active = overlay
            nfs_chain.write(share.local_path, volume_id, chain, guard=self._guard)
        log.info("created snapshot %s of volume %s (overlay %s)", snapshot_id, volume_id, overlay)

    def delete_snapshot(self, snapshot_id: str, *, volume_id: str) -> None:
        with self._locks.hold(volume_id):
            found = self._find(volume_id)
            if found is None:
                return
            share, chain = found
            if snapshot_id not in chain.snapshots:
                overlay = overlay_name(volume_id, snapshot_id)
                if overlay not in chain.files():  # a stray overlay of a create that never finished
                    fileops.remove(os.path.join(share.local_path, overlay))
                return
            frozen = chain.snapshots[snapshot_id]
            frozen_path = os.path.join(share.local_path, frozen)
            if os.path.exists(frozen_path):
                child = self._child_of(share, chain, frozen)
                if child is not None:  # None: a replay, the merge was done before the crash
                    self._check_chain(share, chain, child)
                    below = self._below(share, chain, frozen)
                    # The file above keeps what it shows, now without the frozen file under it.
                    self._qemu.rebase(os.path.join(share.local_path, child),
                                      None if below is None else self._backing_ref(share, below),
                                      None if below is None else chain.format_of(below))
                fileops.remove(frozen_path)
            del chain.snapshots[snapshot_id]
            nfs_chain.write(share.local_path, volume_id, chain, guard=self._guard)
        log.info("deleted snapshot %s of volume %s", snapshot_id, volume_id)

    def revert_to_snapshot(self, volume_id: str, *, snapshot_id: str) -> None:
        with self._locks.hold(volume_id):
            share, chain = self._require(volume_id)
            if snapshot_id not in chain.snapshots:
                raise SourceNotFound(f"snapshot {snapshot_id} of volume {volume_id} is missing")
            active = os.path.join(share.local_path, chain.active)
            frozen = chain.snapshots[snapshot_id]
            current = images.inspect(active, chain.format_of(chain.active))
            if chain.format_of(chain.active) != "qcow2" or self._below(share, chain, chain.active) != frozen:
                raise DriverError(f"volume {volume_id} can be reverted only to its latest snapshot")
            fileops.write_atomically(active, lambda tmp: self._qemu.create(
                tmp, "qcow2", current.virtual_size, backing=self._backing_ref(share, frozen),
                backing_format=chain.format_of(frozen)), guard=self._guard)
        log.info("reverted volume %s to snapshot %s", volume_id, snapshot_id)

    # -- manage and unmanage (drivers/nfs_manage.py)

    def manageable_volumes(self) -> list[manageable.Manageable]:
        return self._management.manageable_volumes()

    def manageable_snapshots(self) -> list[manageable.Manageable]:
        return self._management.manageable_snapshots()

    def manageable_volume(self, name: str) -> manageable.Manageable:
        return self._management.manageable_volume(name)

    def manage_volume(self, volume_id: str, name: str, *, size_gb: int) -> None:
        self._management.manage_volume(volume_id, name, size_gb=size_gb)

    def unmanage_volume(self, volume_id: str) -> None:
        self._management.unmanage_volume(volume_id)

    def manageable_snapshot(self, name: str) -> manageable.Manageable:
        return self._management.manageable_snapshot(name)

    def manage_snapshot(self, snapshot_id: str, *, volume_id: str, name: str) -> None:
        self._management.manage_snapshot(snapshot_id, volume_id=volume_id, name=name)

    def unmanage_snapshot(self, snapshot_id: str, *, volume_id: str) -> None:
        self._management.unmanage_snapshot(snapshot_id, volume_id=volume_id)

    # -- exports: a share is exported by its NFS server; the host mounts it and opens the file

    def create_export(self, volume_id: str, connector: Connector | None) -> Export:
        share, _ = self._require(volume_id)
        return Export(provider_location=share.address)

    def ensure_export(self, volume_id: str, export: Export) -> None:
        pass

    def remove_export(self, volume_id: str, export: Export) -> None:
        pass

    def initialize_connection(self, volume_id: str, export: Export, connector: Connector) -> ConnectionInfo:
        share, chain = self._require(volume_id)
        return {"driver_volume_type": "nfs",
                "data": {"export": share.address, "name": chain.active, "options": share.options,
                         "format": chain.format_of(chain.active), "volume_id": volume_id, "access_mode": "rw"},
                "mount_point_base": self._mount_base}

    def terminate_connection(self, volume_id: str, export: Export, connector: Connector | None) -> None:
        pass

    # -- helpers

    def _prealloc_options(self) -> tuple[str, ...]:
        if self._format == "qcow2":
            return ("preallocation=metadata",) if not self._sparse else ()
        return () if self._sparse else ("preallocation=falloc",)

    def _find(self, volume_id: str) -> tuple[Share, Chain] | None:
        """The share holding ``volume_id`` and its record; None if no share does."""
        for share in self._shares.values():
            chain = nfs_chain.read(share.local_path, volume_id)
            if chain is not None:
                return share, chain
        return None

    def _require(self, volume_id: str) -> tuple[Share, Chain]:
        found = self._find(volume_id)
        if found is None or not os.path.exists(os.path.join(found[0].local_path, found[1].active)):
            raise SourceNotFound(f"no share holds volume {volume_id}")
        return found

    def _new_record(self, volume_id: str, size_gb: int, pool: str | None) -> tuple[Share, Chain]:
        """The record of a new volume, written before its file: a replay then finds where it goes."""
        found = self._find(volume_id)
        if found is not None:
            return found  # a replay of a create that wrote the record, not the file
        share = self._choose_share(size_gb, pool)
        chain = Chain(active=base_name(volume_id), formats={base_name(volume_id): self._format})
        nfs_chain.write(share.local_path, volume_id, chain, guard=self._guard)
        return share, chain

    def _backing_ref(self, share: Share, name: str) -> str:
        return share.url(name) if self._backing_urls else name

    def _child_of(self, share: Share, chain: Chain, name: str) -> str | None:
        """The file of the chain whose backing file is ``name``; None if none is."""
        for candidate in chain.files() - {name}:
            exists = os.path.exists(os.path.join(share.local_path, candidate))
            if exists and self._below(share, chain, candidate) == name:
                return candidate
        return None

    def _below(self, share: Share, chain: Chain, name: str) -> str | None:
        return chain.below(name, folder=share.local_path, folder_url=share.url(""))

    def _check_chain(self, share: Share, chain: Chain, top: str) -> None:
        chain.check_below(top, folder=share.local_path, folder_url=share.url(""))

    def _grow_existing(self, volume_id: str, size_gb: int) -> bool:
        """Grow the volume's active file to ``size_gb`` if smaller; False if it has no file yet.

        A volume already as large or larger is left alone: this is a replay of earlier work.
        """
        found = self._find(volume_id)
        if found is None:
            return False
        share, chain = found
        path = os.path.join(share.local_path, chain.active)
        if not os.path.exists(path):
            return False
        fmt = chain.format_of(chain.active)
        if images.inspect(path, fmt).virtual_size < size_gb * GiB:
            self._check_chain(share, chain, chain.active)
            self._qemu.resize(path, fmt, size_gb * GiB, preallocate=fmt == "raw" and not self._sparse)
        return True

    def _choose_share(self, size_gb: int, pool: str | None) -> Share:
        if not self._shares:
            raise BackendUnavailable("the nfs driver has no share (setup did not run)")
        if pool is not None:
            if pool not in self._shares:
                raise DriverError(f"pool {pool!r} is not a share of this backend ({', '.join(self._shares)})")
            return self._shares[pool]
        best: tuple[float, Share] | None = None
        reasons = []
        for share in self._shares.values():
            total, free, provisioned = self._capacity(share)
            if total <= 0 or (total - free) / total > self._used_ratio:
                reasons.append(f"{share.address}: more than {self._used_ratio:.0%} used")
                continue
            if (provisioned + size_gb) / total > self._oversub_ratio:
                reasons.append(f"{share.address}: {provisioned + size_gb:.0f} GiB would exceed "
                               f"{self._oversub_ratio:g} x {total:.0f} GiB")
                continue
            if not self._sparse and free < size_gb:
                reasons.append(f"{share.address}: {free:.1f} GiB free")
                continue
            if best is None or free > best[0]:
                best = (free, share)
        if best is None:
            raise NotEnoughSpace(f"no nfs share can take {size_gb} GiB: {'; '.join(reasons)}")
        return best[1]

    def _copy_to_new_volume(self, volume_id: str, size_gb: int, pool: str | None, source: str, source_format: str,
                            *, what: str) -> None:
        share, chain = self._new_record(volume_id, size_gb, pool)
        path = os.path.join(share.local_path, chain.active)

        def write(tmp: str) -> None:
            try:
                self._qemu.convert(source, tmp, source_format=source_format, target_format=self._format,
                                   sparse=self._sparse)
            except DriverError as exc:
                if not os.path.exists(source):
                    raise SourceNotFound(f"{what} disappeared during the copy") from exc
                raise
            copied = images.inspect(tmp, self._format).virtual_size
            if copied > size_gb * GiB:
                raise DriverError(f"{what} holds {copied} bytes, more than the {size_gb} GiB requested")
            if copied < size_gb * GiB:
                self._qemu.resize(tmp, self._format, size_gb * GiB,
                                  preallocate=self._format == "raw" and not self._sparse)

        try:
            fileops.write_atomically(path, write, guard=self._guard)
        except DriverError:
            _forget_record(share, volume_id)
            raise


def _forget_record(share: Share, volume_id: str) -> None:
    # a copy that failed on its merits leaves nothing: not even the record written for it
    fileops.remove(nfs_chain.info_path(share.local_path, volume_id))


def _belongs_to(name: str, base: str) -> bool:
    """True for the volume's files: base, base.<snapshot>, base.info, and their temporary copies."""
    plain = name[1:].rsplit(".", 2)[0] if name.startswith(".") and name.endswith(fileops.TMP_SUFFIX) else name
    return plain == base or plain.startswith(base + ".")

