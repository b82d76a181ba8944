"""The NFS driver: volumes are raw or qcow2 files on NFS shares; snapshots are qcow2 overlays.

Each share is one pool. A volume lives on one share as ``volume-<id>`` and, once snapshotted,
a chain of overlays: taking snapshot S freezes the file the volume writes to (the *active*
file) as S's data and puts a new overlay ``volume-<id>.<S>`` on top of it, which becomes the
active file. ``volume-<id>.info`` (JSON, Cinder's layout) records the active file and each
snapshot's frozen file. Deleting S merges its frozen file into the overlay above it; a
revert to the latest snapshot replaces the active overlay with an empty one.

Every file is written under a temporary name and renamed into place, and the info file is
written last, so a crash leaves either the old state or the new one plus a stray file that
a replay of the same operation overwrites or removes.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

from oslo_config import cfg

from drivers import fileops, images, nfs_shares
from drivers.base import ConnectionInfo, Connector, Export, PoolStats
from drivers.errors import BackendUnavailable, DriverError, NotEnoughSpace, SourceNotFound
from drivers.fileops import check_id, translated
from drivers.images import QemuImg
from drivers.nfs_shares import Share
from drivers.runner import Runner

log = logging.getLogger(__name__)

GiB = 1024 ** 3
VERSION = "1.0"
_INFO_SUFFIX = ".info"
_ACTIVE = "active"


class NfsDriver:
    def __init__(self, conf: cfg.ConfigOpts, backend: str) -> None:
        section = conf[backend]
        self._backend = backend
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
        self._qemu = QemuImg(self._runner)
        self._shares: dict[str, Share] = {}
        self._locks: defaultdict[str, threading.Lock] = defaultdict(threading.Lock)
        self._locks_guard = threading.Lock()

    # -- set-up and capacity

    def setup(self) -> None:
        self._qemu.setup()
        shares = {}
        for address, host, export, options in nfs_shares.read_shares_file(self._shares_config):
            share = nfs_shares.attach(self._runner, address=address, host=host, export=export, options=options,
                                      mount_point_base=self._mount_base, default_options=self._mount_options)
            try:
                probe = fileops.tmp_name(os.path.join(share.local_path, "probe"))
                with open(probe, "wb"):
                    pass
                os.unlink(probe)
                fileops.remove_stale_tmp_files(share.local_path)
            except OSError as exc:
                raise BackendUnavailable(f"nfs share {address} ({share.local_path}) is not writable: "
                                         f"{exc.strerror or exc}") from exc
            shares[address] = share
        self._shares = shares
        log.info("nfs driver ready on %s (format %s, sparse=%s)", ", ".join(shares), self._format, self._sparse)

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
                   "thick_provisioning_support": not self._sparse},
        )

    def _capacity(self, share: Share) -> tuple[float, float, float]:
        """(total, free, provisioned) GiB of ``share``; provisioned sums its volumes' sizes."""
        try:
            fs = os.statvfs(share.local_path)
            provisioned = 0
            with os.scandir(share.local_path) as entries:
                for entry in entries:
                    if entry.name.startswith("volume-") and "." not in entry.name:
                        with suppress(FileNotFoundError, DriverError):
                            provisioned += images.inspect(entry.path).virtual_size
                    elif entry.name.endswith(_INFO_SUFFIX):
                        with suppress(FileNotFoundError, DriverError, ValueError):
                            provisioned += self._size_from_info(share, entry.name[:-len(_INFO_SUFFIX)])
        except OSError as exc:
            raise BackendUnavailable(f"cannot read nfs share {share.address}: {exc.strerror or exc}") from exc
        return fs.f_blocks * fs.f_frsize / GiB, fs.f_bavail * fs.f_frsize / GiB, provisioned / GiB

    def _size_from_info(self, share: Share, base: str) -> int:
        # A snapshotted volume whose base file was merged away: count it by its active file.
        if os.path.exists(os.path.join(share.local_path, base)):
            return 0  # counted with the base file
        info = self._read_info(share, base)
        return images.inspect(os.path.join(share.local_path, info[_ACTIVE])).virtual_size

    def volume_path(self, volume_id: str) -> str | None:
        found = self._find(volume_id)
        if found is None:
            return None
        share, info = found
        return os.path.join(share.local_path, info[_ACTIVE])

    def volume_size(self, volume_id: str) -> int | None:
        path = self.volume_path(volume_id)
        return None if path is None else images.inspect(path).virtual_size

    # -- volumes

    def create_volume(self, volume_id: str, size_gb: int, *, pool: str | None = None) -> None:
        with self._locked(volume_id):
            if self._grow_existing(volume_id, size_gb):
                return
            share = self._choose_share(size_gb, pool)
            path = os.path.join(share.local_path, _base(volume_id))
            fileops.write_atomically(path, lambda tmp: self._qemu.create(
                tmp, self._format, size_gb * GiB, options=self._prealloc_options()))
        log.info("created volume %s (%d GiB, %s) on %s", volume_id, size_gb, self._format, share.address)

    def create_volume_from_snapshot(self, volume_id: str, size_gb: int, *, snapshot_id: str,
                                    source_volume_id: str, pool: str | None = None) -> None:
        with self._locked(volume_id):
            if self._grow_existing(volume_id, size_gb):
                return
            found = self._find(source_volume_id)
            if found is None or snapshot_id not in found[1]:
                raise SourceNotFound(f"snapshot {snapshot_id} of volume {source_volume_id} is missing")
            source_share, info = found
            self._copy_to_new_volume(volume_id, size_gb, pool, os.path.join(source_share.local_path, info[snapshot_id]),
                                     what=f"snapshot {snapshot_id}")
        log.info("created volume %s (%d GiB) from snapshot %s", volume_id, size_gb, snapshot_id)

    def clone_volume(self, volume_id: str, size_gb: int, *, source_volume_id: str,
                     pool: str | None = None) -> None:
        with self._locked(volume_id):
            if self._grow_existing(volume_id, size_gb):
                return
            source = self.volume_path(source_volume_id)
            if source is None:
                raise SourceNotFound(f"source volume {source_volume_id} is missing")
            self._copy_to_new_volume(volume_id, size_gb, pool, source, what=f"volume {source_volume_id}")
        log.info("cloned volume %s from %s (%d GiB)", volume_id, source_volume_id, size_gb)

    def extend_volume(self, volume_id: str, new_size_gb: int) -> None:
        with self._locked(volume_id):
            if not self._grow_existing(volume_id, new_size_gb):
                raise DriverError(f"cannot extend volume {volume_id}: no share holds it")
        log.info("extended volume %s to %d GiB", volume_id, new_size_gb)

    def delete_volume(self, volume_id: str) -> None:
        base = _base(volume_id)
        with self._locked(volume_id):
            for share in self._shares.values():
                with translated(f"cannot list nfs share {share.address}"), os.scandir(share.local_path) as entries:
                    names = [e.name for e in entries if _belongs_to(e.name, base)]
                info = base + _INFO_SUFFIX
                for name in sorted(names, key=lambda n: n == info):  # the info file goes last
                    fileops.remove(os.path.join(share.local_path, name))

    # -- snapshots

    def create_snapshot(self, snapshot_id: str, *, volume_id: str) -> None:
        check_id(snapshot_id)
        with self._locked(volume_id):
            found = self._find(volume_id)
            if found is None:
                raise SourceNotFound(f"cannot snapshot volume {volume_id}: no share holds it")
            share, info = found
            if snapshot_id in info:
                return
            frozen = info[_ACTIVE]
            frozen_path = os.path.join(share.local_path, frozen)
            overlay = f"{_base(volume_id)}.{snapshot_id}"
            fmt = images.inspect(frozen_path).format
            fileops.write_atomically(os.path.join(share.local_path, overlay), lambda tmp: self._qemu.create(
                tmp, "qcow2", None, backing=self._backing_ref(share, frozen), backing_format=fmt))
            self._write_info(share, volume_id, {**info, snapshot_id: frozen, _ACTIVE: overlay})
        log.info("created snapshot %s of volume %s (overlay %s)", snapshot_id, volume_id, overlay)

    def delete_snapshot(self, snapshot_id: str, *, volume_id: str) -> None:
        with self._locked(volume_id):
            found = self._find(volume_id)
            if found is None:
                return
            share, info = found
            overlay = f"{_base(volume_id)}.{snapshot_id}"
            if snapshot_id not in info:
                if overlay not in info.values():  # a stray overlay of a create that never finished
                    fileops.remove(os.path.join(share.local_path, overlay))
                return
            frozen = os.path.join(share.local_path, info[snapshot_id])
            if os.path.exists(frozen):
                child = self._child_of(share, info, info[snapshot_id])
                if child is not None:  # None: a replay, the merge was done before the crash
                    backing = _name_of(images.inspect(frozen).backing_file)
                    backing_format = None if backing is None else images.inspect(
                        os.path.join(share.local_path, backing)).format
                    # The file above keeps what it shows, now without the frozen file under it.
                    self._qemu.rebase(os.path.join(share.local_path, child),
                                      None if backing is None else self._backing_ref(share, backing), backing_format)
                fileops.remove(frozen)
            remaining = {key: name for key, name in info.items() if key != snapshot_id}
            self._write_info(share, volume_id, remaining)
        log.info("deleted snapshot %s of volume %s", snapshot_id, volume_id)

    def revert_to_snapshot(self, volume_id: str, *, snapshot_id: str) -> None:
        with self._locked(volume_id):
            found = self._find(volume_id)
            if found is None or snapshot_id not in found[1]:
                raise SourceNotFound(f"snapshot {snapshot_id} of volume {volume_id} is missing")
            share, info = found
            active = os.path.join(share.local_path, info[_ACTIVE])
            frozen = info[snapshot_id]
            current = images.inspect(active)
            if _name_of(current.backing_file) != frozen:
                raise DriverError(f"volume {volume_id} can be reverted only to its latest snapshot")
            size = current.virtual_size
            fmt = images.inspect(os.path.join(share.local_path, frozen)).format
            fileops.write_atomically(active, lambda tmp: self._qemu.create(
                tmp, "qcow2", size, backing=self._backing_ref(share, frozen), backing_format=fmt))
        log.info("reverted volume %s to snapshot %s", volume_id, snapshot_id)

    # -- exports: a share is exported by its NFS server; the host mounts it and opens the file

    def create_export(self, volume_id: str, connector: Connector | None) -> Export:
        share, _ = self._require(volume_id)
        return Export(provider_location=share.address)

    def ensure_export(self, volume_id: str, export: Export) -> None:
        pass

    def remove_export(self, volume_id: str, export: Export) -> None:
        pass

    def initialize_connection(self, volume_id: str, export: Export, connector: Connector) -> ConnectionInfo:
        share, info = self._require(volume_id)
        active = info[_ACTIVE]
        return {"driver_volume_type": "nfs",
                "data": {"export": share.address, "name": active, "options": share.options,
                         "format": images.inspect(os.path.join(share.local_path, active)).format,
                         "volume_id": volume_id, "access_mode": "rw"},
                "mount_point_base": self._mount_base}

    def terminate_connection(self, volume_id: str, export: Export, connector: Connector | None) -> None:
        pass

    # -- helpers

    @contextmanager
    def _locked(self, volume_id: str) -> Iterator[None]:
        check_id(volume_id)
        with self._locks_guard:
            lock = self._locks[volume_id]
        with lock:
            yield

    def _prealloc_options(self) -> tuple[str, ...]:
        if self._format == "qcow2":
            return ("preallocation=metadata",) if not self._sparse else ()
        return () if self._sparse else ("preallocation=falloc",)

    def _find(self, volume_id: str) -> tuple[Share, dict[str, str]] | None:
        """The share holding ``volume_id`` and its info (at least the active file); None if none does."""
        base = _base(check_id(volume_id))
        for share in self._shares.values():
            if os.path.exists(os.path.join(share.local_path, base + _INFO_SUFFIX)):
                return share, self._read_info(share, base)
            if os.path.exists(os.path.join(share.local_path, base)):
                return share, {_ACTIVE: base}
        return None

    def _require(self, volume_id: str) -> tuple[Share, dict[str, str]]:
        found = self._find(volume_id)
        if found is None:
            raise SourceNotFound(f"no share holds volume {volume_id}")
        return found

    def _read_info(self, share: Share, base: str) -> dict[str, str]:
        path = os.path.join(share.local_path, base + _INFO_SUFFIX)
        with translated(f"cannot read {path}"), open(path, encoding="utf-8") as info_file:
            info: dict[str, Any] = json.load(info_file)
        return {str(key): str(value) for key, value in info.items()}

    def _write_info(self, share: Share, volume_id: str, info: dict[str, str]) -> None:
        path = os.path.join(share.local_path, _base(volume_id) + _INFO_SUFFIX)

        def write(tmp: str) -> None:
            with translated(f"cannot write {tmp}"), open(tmp, "w", encoding="utf-8") as info_file:
                json.dump(info, info_file, sort_keys=True)
                info_file.flush()
                os.fsync(info_file.fileno())

        fileops.write_atomically(path, write)

    def _backing_ref(self, share: Share, name: str) -> str:
        return share.url(name) if self._backing_urls else name

    def _child_of(self, share: Share, info: dict[str, str], name: str) -> str | None:
        """The file of the volume's chain whose backing file is ``name``; None if none is."""
        for candidate in set(info.values()) - {name}:
            path = os.path.join(share.local_path, candidate)
            if os.path.exists(path) and _name_of(images.inspect(path).backing_file) == name:
                return candidate
        return None

    def _grow_existing(self, volume_id: str, size_gb: int) -> bool:
        """Grow the volume's active file to ``size_gb`` if smaller; False if no share holds the volume.

        A volume already as large or larger is left alone: this is a replay of earlier work.
        """
        path = self.volume_path(volume_id)
        if path is None:
            return False
        info = images.inspect(path)
        if info.virtual_size < size_gb * GiB:
            self._qemu.resize(path, info.format, size_gb * GiB,
                              preallocate=info.format == "raw" and not self._sparse)
        return True

    def _choose_share(self, size_gb: int, pool: str | None) -> Share:
        if not self._shares:
            raise BackendUnavailable("the nfs driver has no share (setup did not run)")
        if pool is not None and pool in self._shares:
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

    def _copy_to_new_volume(self, volume_id: str, size_gb: int, pool: str | None, source: str, *, what: str) -> None:
        share = self._choose_share(size_gb, pool)
        path = os.path.join(share.local_path, _base(volume_id))
        source_format = images.inspect(source).format

        def write(tmp: str) -> None:
            try:
                self._qemu.convert(source, tmp, source_format=source_format, target_format=self._format,
                                   sparse=self._sparse)
            except DriverError as exc:
                if not os.path.exists(source):
                    raise SourceNotFound(f"{what} disappeared during the copy") from exc
                raise
            copied = images.inspect(tmp).virtual_size
            if copied > size_gb * GiB:
                raise DriverError(f"{what} holds {copied} bytes, more than the {size_gb} GiB requested")
            if copied < size_gb * GiB:
                self._qemu.resize(tmp, self._format, size_gb * GiB,
                                  preallocate=self._format == "raw" and not self._sparse)

        fileops.write_atomically(path, write)


def _base(volume_id: str) -> str:
    return f"volume-{volume_id}"


def _name_of(reference: str | None) -> str | None:
    # Relative names and nfs:// URLs both end in the file's name; all of a chain is on one share.
    return os.path.basename(reference) if reference else None


def _belongs_to(name: str, base: str) -> bool:
    """True for the volume's files: base, base.<snapshot>, base.info, and their temporary copies."""
    plain = name[1:].rsplit(".", 2)[0] if name.startswith(".") and name.endswith(fileops.TMP_SUFFIX) else name
    return plain == base or plain.startswith(base + ".")
