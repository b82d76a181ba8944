"""The file driver: volumes are raw sparse files in one local folder, made without qemu-img (the embedded default).

Files in the share folder: ``volume-<id>`` (raw), ``snapshot-<id>.raw`` (a raw sparse copy of
the volume) and, from ember versions that made them with qemu-img, ``snapshot-<id>`` (qcow2).
The name records the format: a file's first bytes never decide it, since a guest can write a
qcow2 header into a raw disk. Volumes, clones and snapshots are made with plain file operations
(drivers/rawfiles.py: truncate or posix_fallocate, sparse copies); only an old qcow2 snapshot
needs qemu-img, found when one is read. New files are written under a hidden temporary name and
renamed into place (drivers/fileops.py), so a final name always holds a whole file; every
operation may be replayed.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from contextlib import suppress

from oslo_config import cfg

from common.capabilities import ATTACHED_SNAPSHOTS
from drivers import fileops, images, manageable, rawfiles, runner
from drivers.base import (
    NOT_ENFORCED_BY_FILES,
    ConnectionInfo,
    Connector,
    DataLocation,
    Export,
    PoolStats,
    unenforced,
)
from drivers.errors import BackendUnavailable, DriverError, ManageRefInvalid, MissingTool, SourceNotFound
from drivers.fileops import check_id as _check_id
from drivers.fileops import translated as _translated

log = logging.getLogger(__name__)

GiB = 1024 ** 3
VOLUME_PREFIX = "volume-"
SNAPSHOT_PREFIX = "snapshot-"
RAW_SUFFIX = ".raw"  # ids hold no dot, so no volume or legacy snapshot name ends so


class FileDriver:
    static_exports = True  # nothing is made per export (drivers/base.py)

    def __init__(self, conf: cfg.ConfigOpts, backend: str) -> None:
        section = conf[backend]
        share = section.file_share_path or os.path.join(conf.state_path, "volumes", backend)
        self._share = os.path.abspath(os.path.expanduser(share))
        self._capacity_gb: int = section.file_capacity_gb
        self._sparse: bool = section.file_sparse
        self._qemu = images.QemuImg(runner.Runner())  # only for qcow2 snapshots of earlier versions
        self._reflink = False

    # -- set-up and capacity

    def setup(self) -> None:
        try:
            os.makedirs(self._share, exist_ok=True)
            probe = self._tmp_name("probe")
            with open(probe, "wb"):
                pass
            os.unlink(probe)
            self._remove_stale_tmp_files()
            self._reflink = rawfiles.reflink_supported(self._share)
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
            pool_name=self._pool_name(),
            total_capacity_gb=round(total_gb, 2),
            free_capacity_gb=round(max(total_gb - used_gb, 0.0), 2),
            provisioned_capacity_gb=round(used_gb, 2),
            thin_provisioning_support=self._sparse,
            # "local": what initialize_connection gives (os-brick's local connector reads the path)
            extra={"storage_protocol": "local", "vendor_name": "ember", "driver_version": "2.0",
                   "QoS_support": False, "multiattach": True,
                   # a snapshot of a volume a host writes is one point in time only as a reflink
                   ATTACHED_SNAPSHOTS: self._reflink},
        )]

    def _pool_name(self) -> str:
        return os.path.basename(self._share) or self._share

    def apply_qos(self, volume_id: str, specs: Mapping[str, str]) -> dict[str, str]:
        return unenforced(specs, NOT_ENFORCED_BY_FILES)  # none of them (drivers.base)

    def volume_path(self, volume_id: str) -> str | None:
        return self._volume_file(volume_id)

    def data_location(self, volume_id: str, *, snapshot_id: str | None = None) -> DataLocation:
        path, fmt = self._snapshot_source(snapshot_id) if snapshot_id else (self._volume_file(volume_id), "raw")
        if not os.path.exists(path):
            raise SourceNotFound(f"no file {path} for {'snapshot ' + snapshot_id if snapshot_id else volume_id}")
        return DataLocation(path, fmt)

    # -- volumes

    def create_volume(self, volume_id: str, size_gb: int, *, pool: str | None = None) -> None:
        path = self._volume_file(volume_id)
        if self._grow_existing(path, size_gb):
            return
        fileops.write_atomically(path, lambda tmp: self._create(tmp, size_gb))
        log.info("created volume %s (%d GiB)", volume_id, size_gb)

    def create_volume_from_snapshot(self, volume_id: str, size_gb: int, *, snapshot_id: str,
                                    source_volume_id: str, pool: str | None = None) -> None:
        path = self._volume_file(volume_id)
        if self._grow_existing(path, size_gb):
            return
        self._copy_to_new_volume(path, size_gb, source=self._snapshot_source(snapshot_id),
                                 what=f"snapshot {snapshot_id} of volume {source_volume_id}")
        log.info("created volume %s (%d GiB) from snapshot %s", volume_id, size_gb, snapshot_id)

    def clone_volume(self, volume_id: str, size_gb: int, *, source_volume_id: str,
                     pool: str | None = None) -> None:
        path = self._volume_file(volume_id)
        if self._grow_existing(path, size_gb):
            return
        self._copy_to_new_volume(path, size_gb, source=(self._volume_file(source_volume_id), "raw"),
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
        fileops.remove(self._volume_file(volume_id))

    # -- snapshots: raw sparse copies (old ones qcow2, read through qemu-img)

    def create_snapshot(self, snapshot_id: str, *, volume_id: str) -> None:
        raw, legacy = self._snapshot_files(snapshot_id)
        if os.path.exists(raw) or os.path.exists(legacy):
            return
        source = self._volume_file(volume_id)

        def write(tmp: str) -> None:
            self._copy_raw(source, tmp, what=f"volume {volume_id}", action=f"cannot snapshot volume {volume_id}")

        fileops.write_atomically(raw, write)
        log.info("created snapshot %s of volume %s", snapshot_id, volume_id)

    def delete_snapshot(self, snapshot_id: str, *, volume_id: str) -> None:
        for path in self._snapshot_files(snapshot_id):
            fileops.remove(path)

    def revert_to_snapshot(self, volume_id: str, *, snapshot_id: str) -> None:
        path = self._volume_file(volume_id)
        with _translated(f"cannot read {path}"):
            size = os.path.getsize(path)
        size_gb = -(-size // GiB)
        self._copy_to_new_volume(path, size_gb, source=self._snapshot_source(snapshot_id),
                                 what=f"snapshot {snapshot_id} of volume {volume_id}")
        log.info("reverted volume %s to snapshot %s", volume_id, snapshot_id)

    def volume_size(self, volume_id: str) -> int | None:
        try:
            return os.path.getsize(self._volume_file(volume_id))
        except FileNotFoundError:
            return None

    # -- manage and unmanage: a raw file of the share folder becomes a volume under ember's name

    def manageable_volumes(self) -> list[manageable.Manageable]:
        found = []
        for name in self._plain_files():
            if name.startswith(SNAPSHOT_PREFIX):
                continue
            path = os.path.join(self._share, name)
            with suppress(FileNotFoundError):
                found.append(manageable.Manageable(
                    name=name, size_gb=manageable.rounded_gb(os.path.getsize(path)),
                    reason_not_safe=self._not_safe(path), ember_id=manageable.ember_id_of(name),
                    extra_info={"format": manageable.file_format(path)}))
        return found

    def manageable_snapshots(self) -> list[manageable.Manageable]:
        found = []
        for name in self._plain_files():
            snapshot_id = manageable.ember_id_of(name.removesuffix(RAW_SUFFIX), SNAPSHOT_PREFIX)
            if snapshot_id is None or not name.endswith(RAW_SUFFIX):
                continue
            with suppress(FileNotFoundError):
                size = os.path.getsize(os.path.join(self._share, name))
                found.append(manageable.Manageable(name=name, size_gb=manageable.rounded_gb(size),
                                                   ember_id=snapshot_id))
        return found

    def manageable_volume(self, name: str) -> manageable.Manageable:
        path = self._foreign(name)
        reason = self._not_safe(path)
        if reason:
            raise ManageRefInvalid(f"{name} cannot be managed: {reason}")
        return manageable.Manageable(name=name, size_gb=manageable.rounded_gb(os.path.getsize(path)),
                                     pool=self._pool_name())

    def manage_volume(self, volume_id: str, name: str, *, size_gb: int) -> None:
        """Rename ``name`` to the volume's file and grow it to whole GiB; a replay finds it renamed."""
        path = self._volume_file(volume_id)
        source = os.path.join(self._share, name)
        if source != path:
            if os.path.exists(path):
                if not os.path.exists(source):  # renamed before a crash
                    self._grow_to(path, size_gb)
                    return
                raise DriverError(f"volume {volume_id} already has a file {path}")
            self.manageable_volume(name)  # still there, and still safe
            with _translated(f"cannot rename {source}"):
                os.rename(source, path)
            fileops.sync_folder(self._share)
        self._grow_to(path, size_gb)
        log.info("managed %s as volume %s (%d GiB)", name, volume_id, size_gb)

    def unmanage_volume(self, volume_id: str) -> None:
        pass  # the file stays under its name; nothing exports it

    def manageable_snapshot(self, name: str) -> manageable.Manageable:
        path = self._foreign(name)
        if not name.endswith(RAW_SUFFIX) or manageable.file_format(path) != "raw":
            raise ManageRefInvalid(f"{name} is no raw snapshot file ({SNAPSHOT_PREFIX}<id>{RAW_SUFFIX})")
        return manageable.Manageable(name=name, size_gb=manageable.rounded_gb(os.path.getsize(path)),
                                     pool=self._pool_name())

    def manage_snapshot(self, snapshot_id: str, *, volume_id: str, name: str) -> None:
        raw, _ = self._snapshot_files(snapshot_id)
        source = os.path.join(self._share, name)
        if source == raw or (os.path.exists(raw) and not os.path.exists(source)):
            return  # its own name already (or renamed before a crash)
        if os.path.exists(raw):
            raise DriverError(f"snapshot {snapshot_id} already has a file {raw}")
        self.manageable_snapshot(name)
        with _translated(f"cannot rename {source}"):
            os.rename(source, raw)
        fileops.sync_folder(self._share)
        log.info("managed %s as snapshot %s of volume %s", name, snapshot_id, volume_id)

    def unmanage_snapshot(self, snapshot_id: str, *, volume_id: str) -> None:
        pass  # the snapshot's file stays under its name

    def _plain_files(self) -> list[str]:
        """The share's regular files that are not temporary (the candidates of the manageable lists)."""
        with _translated(f"cannot list {self._share}"), os.scandir(self._share) as entries:
            return sorted(e.name for e in entries if not e.name.startswith(".") and e.is_file(follow_symlinks=False))

    def _foreign(self, name: str) -> str:
        path = os.path.join(self._share, name)
        if name.startswith(".") or "/" in name or not os.path.isfile(path) or os.path.islink(path):
            raise ManageRefInvalid(f"the share folder {self._share} has no file {name}")
        return path

    @staticmethod
    def _not_safe(path: str) -> str | None:
        if manageable.file_format(path) != "raw":
            return "it is a qcow2 image; the file driver serves raw files only"
        if manageable.open_elsewhere(path):
            return "a process on this host has it open"
        return None

    def _grow_to(self, path: str, size_gb: int) -> None:
        with _translated(f"cannot read {path}"):
            if os.path.getsize(path) > size_gb * GiB:
                raise DriverError(f"{path} is larger than the {size_gb} GiB it was managed as")
        self._grow_existing(path, size_gb)

    # -- exports: the file is reached where it lies

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

    def _snapshot_files(self, snapshot_id: str) -> tuple[str, str]:
        """(raw, legacy qcow2) file names of a snapshot."""
        legacy = os.path.join(self._share, SNAPSHOT_PREFIX + _check_id(snapshot_id))
        return legacy + RAW_SUFFIX, legacy

    def _snapshot_source(self, snapshot_id: str) -> tuple[str, str]:
        """(file, format) of the snapshot; the raw name if neither exists (the copy then says it is missing)."""
        raw, legacy = self._snapshot_files(snapshot_id)
        if not os.path.exists(raw) and os.path.exists(legacy):
            return legacy, "qcow2"
        return raw, "raw"

    def _tmp_name(self, final_name: str) -> str:
        return fileops.tmp_name(os.path.join(self._share, os.path.basename(final_name)))

    def _create(self, path: str, size_gb: int) -> None:
        with _translated(f"cannot create {path}"):
            rawfiles.create(path, size_gb * GiB, sparse=self._sparse)

    def _grow_existing(self, path: str, size_gb: int) -> bool:
        """Grow the raw file at ``path`` to ``size_gb`` if smaller; False if there is no such file.

        A file already as large or larger is left alone: this is a replay of earlier work.
        """
        with _translated(f"cannot grow {path}"):
            try:
                rawfiles.grow(path, size_gb * GiB, sparse=self._sparse)
            except FileNotFoundError:
                return False
        return True

    def _copy_to_new_volume(self, path: str, size_gb: int, *, source: tuple[str, str], what: str) -> None:
        """Replace (or create) the volume file ``path`` with a copy of ``source`` grown to ``size_gb``."""
        source_path, source_format = source

        def write(tmp: str) -> None:
            if source_format == "raw":
                copied = self._copy_raw(source_path, tmp, what=what, action=f"cannot copy {what}")
            else:
                copied = self._convert_legacy(source_path, tmp, size_gb, what=what)
            if copied > size_gb * GiB:
                raise DriverError(f"{what} holds {copied} bytes, more than the {size_gb} GiB requested")
            self._grow_existing(tmp, size_gb)

        fileops.write_atomically(path, write)

    def _copy_raw(self, source: str, tmp: str, *, what: str, action: str) -> int:
        with _translated(action):
            try:
                size, method = rawfiles.copy(source, tmp, sparse=self._sparse)
            except FileNotFoundError:
                if os.path.exists(source):
                    raise
                raise SourceNotFound(f"{what} is missing: no file {source}") from None
        log.debug("copied %s to %s (%d bytes, %s)", source, tmp, size, method)
        return size

    def _convert_legacy(self, source: str, tmp: str, size_gb: int, *, what: str) -> int:
        """A raw copy of an old qcow2 snapshot, through qemu-img (which raises MissingTool where it is absent)."""
        try:
            info = images.inspect(source, "qcow2")
        except DriverError as exc:
            if not os.path.exists(source):
                raise SourceNotFound(f"{what} is missing: no file {source}") from exc
            raise
        if info.virtual_size > size_gb * GiB:
            raise DriverError(f"{what} holds {info.virtual_size} bytes, more than the {size_gb} GiB requested")
        try:
            self._qemu.setup()
        except MissingTool as exc:
            raise BackendUnavailable(f"cannot read {what}: it is a qcow2 file of an earlier ember version, "
                                     f"which needs qemu-img: {exc}") from exc
        try:
            self._qemu.convert(source, tmp, source_format="qcow2", target_format="raw", sparse=self._sparse)
        except DriverError as exc:
            if not os.path.exists(source):
                raise SourceNotFound(f"{what} disappeared during the copy") from exc
            raise
        with _translated(f"cannot read {tmp}"):
            os.chmod(tmp, rawfiles.FILE_MODE)
            return os.path.getsize(tmp)

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
