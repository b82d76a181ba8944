"""The NFS-style file driver: volumes are raw files, snapshots compact qcow2 copies, made with qemu-img.

Files live in one share folder: ``volume-<id>`` and ``snapshot-<id>``. New files are written
under a hidden temporary name and renamed into place, so a final name always holds a whole file.
"""

from __future__ import annotations

import errno
import logging
import os
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress

from oslo_config import cfg

from drivers import runner
from drivers.base import PoolStats
from drivers.errors import BackendUnavailable, DriverError, NotEnoughSpace, SourceNotFound

log = logging.getLogger(__name__)

GiB = 1024 ** 3
VOLUME_PREFIX = "volume-"
SNAPSHOT_PREFIX = "snapshot-"
_TMP_SUFFIX = ".tmp"
_STALE_TMP_S = 3600.0  # a temporary file untouched this long belongs to a crashed operation
_NO_SPACE = (errno.ENOSPC, errno.EDQUOT)
_UNREACHABLE = (errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOTDIR, errno.ESTALE, errno.EIO)


@contextmanager
def _translated(action: str) -> Iterator[None]:
    """Turn an OSError raised while doing ``action`` into the matching driver error."""
    try:
        yield
    except OSError as exc:
        message = f"{action}: {exc.strerror or exc}"
        if exc.errno in _NO_SPACE:
            raise NotEnoughSpace(message) from exc
        if exc.errno in _UNREACHABLE:
            raise BackendUnavailable(message) from exc
        raise DriverError(message) from exc


def _check_id(resource_id: str) -> str:
    # Ids become file names: refuse anything that could leave the share or hide as a temp file.
    if not resource_id or "/" in resource_id or "\0" in resource_id or resource_id.startswith("."):
        raise DriverError(f"invalid id for a file name: {resource_id!r}")
    return resource_id


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
            thin_provisioning_support=self._sparse,
            extra={"storage_protocol": "nfs", "vendor_name": "ember", "driver_version": "1.0",
                   "QoS_support": False, "multiattach": True},
        )]

    def volume_path(self, volume_id: str) -> str | None:
        return self._volume_file(volume_id)

    # -- volumes

    def create_volume(self, volume_id: str, size_gb: int) -> None:
        path = self._volume_file(volume_id)
        if self._grow_existing(path, size_gb):
            return
        self._write_atomically(path, lambda tmp: self._qemu(
            "create", "-f", "raw", *self._prealloc_create(), tmp, str(size_gb * GiB)))
        log.info("created volume %s (%d GiB)", volume_id, size_gb)

    def create_volume_from_snapshot(self, volume_id: str, size_gb: int, *, snapshot_id: str,
                                    source_volume_id: str) -> None:
        path = self._volume_file(volume_id)
        if self._grow_existing(path, size_gb):
            return
        source = self._snapshot_file(snapshot_id)
        self._copy_to_new_volume(path, size_gb, source=source, source_format="qcow2",
                                 what=f"snapshot {snapshot_id} of volume {source_volume_id}")
        log.info("created volume %s (%d GiB) from snapshot %s", volume_id, size_gb, snapshot_id)

    def clone_volume(self, volume_id: str, size_gb: int, *, source_volume_id: str) -> None:
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

    # -- helpers

    def _volume_file(self, volume_id: str) -> str:
        return os.path.join(self._share, VOLUME_PREFIX + _check_id(volume_id))

    def _snapshot_file(self, snapshot_id: str) -> str:
        return os.path.join(self._share, SNAPSHOT_PREFIX + _check_id(snapshot_id))

    def _tmp_name(self, final_name: str) -> str:
        return os.path.join(self._share, f".{os.path.basename(final_name)}.{uuid.uuid4().hex}{_TMP_SUFFIX}")

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
        tmp = self._tmp_name(final)
        try:
            write(tmp)
            with _translated(f"cannot move {tmp} to {final}"):
                os.replace(tmp, final)
        except BaseException:
            with suppress(OSError):
                os.unlink(tmp)
            raise
        self._sync_share()

    def _sync_share(self) -> None:
        # Makes the rename durable; some filesystems refuse fsync on a folder, which is harmless.
        with suppress(OSError):
            fd = os.open(self._share, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

    def _remove(self, path: str) -> None:
        with _translated(f"cannot remove {path}"):
            try:
                os.unlink(path)
            except FileNotFoundError:
                return
        log.info("removed %s", path)

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
        cutoff = time.time() - _STALE_TMP_S
        with os.scandir(self._share) as entries:
            for entry in entries:
                if not (entry.name.startswith(".") and entry.name.endswith(_TMP_SUFFIX)):
                    continue
                with suppress(OSError):
                    if entry.stat().st_mtime < cutoff:
                        os.unlink(entry.path)
                        log.warning("removed %s left by an interrupted operation", entry.path)
