"""The NFS-style file driver: volumes are raw files, snapshots compact qcow2 copies, made with qemu-img.

Files live in one share folder: ``volume-<id>`` and ``snapshot-<id>``. New files are written
under a hidden temporary name and renamed into place, so a final name always holds a whole file.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from contextlib import suppress

from oslo_config import cfg

from drivers import fileops, runner
from drivers.base import ConnectionInfo, Connector, Export, PoolStats
from drivers.errors import BackendUnavailable, DriverError, SourceNotFound
from drivers.fileops import check_id as _check_id
from drivers.fileops import translated as _translated

log = logging.getLogger(__name__)

GiB = 1024 ** 3
VOLUME_PREFIX = "volume-"
SNAPSHOT_PREFIX = "snapshot-"


class FileDriver:
    def __init__(self, conf: cfg.ConfigOpts, backend: str) -> None:
        section = conf[backend]
        share = section.file_share_path or os.path.join(conf.state_path, "volumes", backend)
        self._share = os.path.abspath(os.path.expanduser(share))
        self._capacity_gb: int = section.file_capacity_gb
        self._sparse: bool = section.file_sparse
        self._qemu_img = "qemu-img"

    # -- set-up and capacity

    def setup(self) -> None:
        self._qemu_img = runner.which("qemu-img")
        try:
            os.makedirs(self._share, exist_ok=True)
            probe = self._tmp_name("probe")
            with open(probe, "wb"):
                pass
            os.unlink(probe)
            self._remove_stale_tmp_files()
        except OSError as exc:
            raise BackendUnavailable(f"share folder {self._share} is not writable: "
                                     f"{exc.strerror or exc}") from exc
        log.info("file driver ready on %s (sparse=%s)", self._share, self._sparse)

    def pool_stats(self) -> list[PoolStats]:
        try:
            if self._capacity_gb:
                total_gb = float(self._capacity_gb)
            else:
                fs = os.statvfs(self._share)
                total_gb = fs.f_blocks * fs.f_frsize / GiB
            used_gb = self._volume_bytes() / GiB
        except OSError as exc:
            raise BackendUnavailable(f"cannot read share folder {self._share}: {exc.strerror or exc}") from exc
        return [PoolStats(
            pool_name=os.path.basename(self._share) or self._share,
            total_capacity_gb=round(total_gb, 2),
            free_capacity_gb=round(max(total_gb - used_gb, 0.0), 2),
            provisioned_capacity_gb=round(used_gb, 2),
            thin_provisioning_support=self._sparse,
            extra={"storage_protocol": "nfs", "vendor_name": "ember", "driver_version": "1.0",
                   "QoS_support": False, "multiattach": True},
        )]

    def volume_path(self, volume_id: str) -> str | None:
        return self._volume_file(volume_id)

    # -- volumes

    def create_volume(self, volume_id: str, size_gb: int, *, pool: str | None = None) -> None:
        path = self._volume_file(volume_id)
        if self._grow_existing(path, size_gb):
            return
        self._write_atomically(path, lambda tmp: self._qemu(
            "create", "-f", "raw", *self._prealloc_create(), tmp, str(size_gb * GiB)))
        log.info("created volume %s (%d GiB)", volume_id, size_gb)

    def create_volume_from_snapshot(self, volume_id: str, size_gb: int, *, snapshot_id: str,
                                    source_volume_id: str, pool: str | None = None) -> None:
        path = self._volume_file(volume_id)
        if self._grow_existing(path, size_gb):
            return
        source = self._snapshot_file(snapshot_id)
        self._copy_to_new_volume(path, size_gb, source=source, source_format="qcow2",
                                 what=f"snapshot {snapshot_id} of volume {source_volume_id}")
        log.info("created volume %s (%d GiB) from snapshot %s", volume_id, size_gb, snapshot_id)

    def clone_volume(self, volume_id: str, size_gb: int, *, source_volume_id: str,
                     pool: str | None = None) -> None:
        path = self._volume_file(volume_id)
        if self._grow_existing(path, size_gb):
            return
        source = self._volume_file(source_volume_id)
        self._copy_to_new_volume(path, size_gb, source=source, source_format="raw",
                                 what=f"source volume {source_volume_id}")
        log.info("cloned volume %s from %s (%d GiB)", volume_id, source_volume_id, size_gb)

    def extend_volume(self, volume_id: str, new_size_gb: int) -> None:
        path = self._volume_file(volume_id)
        if not os.path.exists(path):
            raise DriverError(f"cannot extend volume {volume_id}: its file {path} is missing")
        if not self._grow_existing(path, new_size_gb):
            raise DriverError(f"volume {volume_id} vanished while being extended")
        log.info("extended volume %s to %d GiB", volume_id, new_size_gb)

    def delete_volume(self, volume_id: str) -> None:
        self._remove(self._volume_file(volume_id))

    # -- snapshots

    def create_snapshot(self, snapshot_id: str, *, volume_id: str) -> None:
        path = self._snapshot_file(snapshot_id)
        if os.path.exists(path):
            return
        source = self._volume_file(volume_id)
        if not os.path.exists(source):
            raise SourceNotFound(f"cannot snapshot volume {volume_id}: its file {source} is missing")
        self._write_atomically(path, lambda tmp: self._qemu(
            "convert", "-f", "raw", "-O", "qcow2", source, tmp))
        log.info("created snapshot %s of volume %s", snapshot_id, volume_id)

    def delete_snapshot(self, snapshot_id: str, *, volume_id: str) -> None:
        self._remove(self._snapshot_file(snapshot_id))

    def revert_to_snapshot(self, volume_id: str, *, snapshot_id: str) -> None:
        path = self._volume_file(volume_id)
        with _translated(f"cannot read {path}"):
            size = os.path.getsize(path)
        size_gb = -(-size // GiB)
        self._copy_to_new_volume(path, size_gb, source=self._snapshot_file(snapshot_id), source_format="qcow2",
                                 what=f"snapshot {snapshot_id} of volume {volume_id}")
        log.info("reverted volume %s to snapshot %s", volume_id, snapshot_id)

    def volume_size(self, volume_id: str) -> int | None:
        try:
            return os.path.getsize(self._volume_file(volume_id))
        except FileNotFoundError:
            return None

    # -- exports: the file is reached where it lies (a share the compute hosts mount too)

    def create_export(self, volume_id: str, connector: Connector | None) -> Export:
        return Export(provider_location=self._volume_file(volume_id))

    def ensure_export(self, volume_id: str, export: Export) -> None:
        pass

    def remove_export(self, volume_id: str, export: Export) -> None:
        pass

    def initialize_connection(self, volume_id: str, export: Export, connector: Connector) -> ConnectionInfo:
        path = self._volume_file(volume_id)
        if not os.path.exists(path):
            raise SourceNotFound(f"volume {volume_id} has no file {path}")
        return {"driver_volume_type": "local",
                "data": {"device_path": path, "format": "raw", "volume_id": volume_id, "access_mode": "rw"}}

    def terminate_connection(self, volume_id: str, export: Export, connector: Connector | None) -> None:
        pass

    # -- helpers

    def _volume_file(self, volume_id: str) -> str:
        return os.path.join(self._share, VOLUME_PREFIX + _check_id(volume_id))

    def _snapshot_file(self, snapshot_id: str) -> str:
        return os.path.join(self._share, SNAPSHOT_PREFIX + _check_id(snapshot_id))

    def _tmp_name(self, final_name: str) -> str:
        return fileops.tmp_name(os.path.join(self._share, os.path.basename(final_name)))

    def _qemu(self, *args: str) -> None:
        runner.run([self._qemu_img, *args])

    def _prealloc_create(self) -> list[str]:
        return [] if self._sparse else ["-o", "preallocation=falloc"]

    def _prealloc_resize(self) -> list[str]:
        return [] if self._sparse else ["--preallocation=falloc"]

    def _grow_existing(self, path: str, size_gb: int) -> bool:
        """Grow the raw file at ``path`` to ``size_gb`` if smaller; False if there is no such file.

        A file already as large or larger is left alone: this is a replay of earlier work.
        """
        with _translated(f"cannot read {path}"):
            try:
                current = os.path.getsize(path)
            except FileNotFoundError:
                return False
        if current < size_gb * GiB:
            self._qemu("resize", "-f", "raw", *self._prealloc_resize(), path, str(size_gb * GiB))
        return True

    def _copy_to_new_volume(self, path: str, size_gb: int, *, source: str, source_format: str,
                            what: str) -> None:
        if not os.path.exists(source):
            raise SourceNotFound(f"{what} is missing: no file {source}")
        sparse_args = [] if self._sparse else ["-S", "0"]

        def write(tmp: str) -> None:
            try:
                self._qemu("convert", "-f", source_format, "-O", "raw", *sparse_args, source, tmp)
            except DriverError as exc:
                if not os.path.exists(source):
                    raise SourceNotFound(f"{what} disappeared during the copy") from exc
                raise
            with _translated(f"cannot read {tmp}"):
                copied = os.path.getsize(tmp)
            if copied > size_gb * GiB:
                raise DriverError(f"{what} holds {copied} bytes, more than the {size_gb} GiB requested")
            if copied < size_gb * GiB:
                self._qemu("resize", "-f", "raw", *self._prealloc_resize(), tmp, str(size_gb * GiB))

        self._write_atomically(path, write)

    def _write_atomically(self, final: str, write: Callable[[str], None]) -> None:
        fileops.write_atomically(final, write)

    def _remove(self, path: str) -> None:
        fileops.remove(path)

    def _volume_bytes(self) -> int:
        total = 0
        with os.scandir(self._share) as entries:
            for entry in entries:
                if not entry.name.startswith(VOLUME_PREFIX):
                    continue
                with suppress(FileNotFoundError):  # deleted by another thread meanwhile
                    total += entry.stat().st_size
        return total

    def _remove_stale_tmp_files(self) -> None:
        fileops.remove_stale_tmp_files(self._share)
