"""The LVM driver: volumes are thick logical volumes of one volume group, exported over iSCSI.

``lvm_activation`` picks how a volume's bytes are reached:

- ``activate`` (production): LVs are activated through device-mapper and used as
  /dev/<vg>/<lv>; snapshots are LVM copy-on-write snapshots.
- ``loop``: for kernels without device-mapper. lvm2 runs with activation disabled and only
  keeps the metadata; an LV's extents are reached through a loop device set over its
  physical volume at the LV's offset. LVs are allocated contiguous (one loop per LV), and
  snapshots are full copies into an LV of their own.

A new LV is zeroed before use (its extents may hold an earlier volume's bytes), and so is the
part an extend adds. Copies (snapshot, clone, volume from snapshot, revert) go through
qemu-img between the data devices. A copy is written into ``tmp-<name>`` and renamed when
whole, so a crash never leaves a half-copied LV under a final name.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass

from oslo_config import cfg

from drivers.base import ConnectionInfo, Connector, Export, PoolStats
from drivers.errors import BackendUnavailable, DriverError, NotEnoughSpace, SourceNotFound
from drivers.fileops import check_id
from drivers.iscsi import Chap, IscsiExport, TargetHelper, TgtAdm
from drivers.lvm_devices import ActivatedDevices, DataDevices, LoopDevices
from drivers.runner import Runner

log = logging.getLogger(__name__)

GiB = 1024 ** 3
VERSION = "1.0"
_TMP_PREFIX = "tmp-"
_FIELDS = "lv_name,lv_size,seg_pe_ranges,lv_attr,origin"


@dataclass(frozen=True)
class LogicalVolume:
    name: str
    size: int  # bytes
    segments: tuple[str, ...]  # "<pv>:<first>-<last>" extents, one per segment


class Lvm:
    """lvm2 commands on one volume group, scanning only its own devices."""

    def __init__(self, runner: Runner, vg: str, devices: list[str], *, activation: bool) -> None:
        self._runner = runner
        self.vg = vg
        config = ["use_devicesfile=0"]
        if devices:
            accept = ",".join(f'"a|^{d}$|"' for d in devices)
            config += [f'filter=[{accept},"r|.*|"]', f'global_filter=[{accept},"r|.*|"]']
        self._config = "devices { " + " ".join(config) + " }" + ("" if activation else " global { activation=0 }")

    def __call__(self, command: str, *args: str) -> str:
        env_prefix = ["env", "LVM_SUPPRESS_FD_WARNINGS=1"]
        return self._runner.run([*env_prefix, command, "--config", self._config, *args], root=True,
                                timeout_s=120.0).stdout

    def report(self, command: str, fields: str, *targets: str, segments: bool = False) -> list[list[str]]:
        out = self(command, "--noheadings", "--nosuffix", "--units", "b", "--separator", "|", "-o", fields,
                   *(["--segments"] if segments else []), *targets)
        return [[cell.strip() for cell in line.split("|")] for line in out.splitlines() if line.strip()]

    def volumes(self) -> dict[str, LogicalVolume]:
        found: dict[str, tuple[int, list[str]]] = {}
        for name, size, ranges, *_ in self.report("lvs", _FIELDS, self.vg, segments=True):
            entry = found.setdefault(name, (int(size), []))
            entry[1].extend(r for r in ranges.split() if r)
        return {name: LogicalVolume(name, size, tuple(ranges)) for name, (size, ranges) in found.items()}

    def get(self, name: str) -> LogicalVolume | None:
        return self.volumes().get(name)


class LvmDriver:
    def __init__(self, conf: cfg.ConfigOpts, backend: str) -> None:
        section = conf[backend]
        self._backend = backend
        self._runner = Runner(section.root_helper)
        self._loop_mode = section.lvm_activation == "loop"
        self._lvm = Lvm(self._runner, section.volume_group, list(section.lvm_devices),
                        activation=not self._loop_mode)
        self._devices: DataDevices = (LoopDevices(self._runner, self._lvm) if self._loop_mode
                                      else ActivatedDevices(self._runner, self._lvm))
        self._portal = f"{section.target_ip_address}:{section.target_port}"
        self._prefix: str = section.target_prefix
        self._use_chap: bool = section.use_chap_auth
        if section.target_helper == "lioadm":
            from drivers.lio import LioAdm  # needs rtslib-fb and configfs, only where LIO is used
            self._targets: TargetHelper = LioAdm(self._portal)
        else:
            self._targets = TgtAdm(self._runner, section.tgt_control_port)
        self._locks: defaultdict[str, threading.Lock] = defaultdict(threading.Lock)
        self._locks_guard = threading.Lock()

    # -- set-up and capacity

    def setup(self) -> None:
        try:
            rows = self._lvm.report("vgs", "vg_name", self._lvm.vg)
        except DriverError as exc:
            raise BackendUnavailable(f"volume group {self._lvm.vg} is not usable: {exc}") from exc
        if not rows:
            raise BackendUnavailable(f"volume group {self._lvm.vg} not found")
        try:
            self._targets.setup()
        except DriverError as exc:
            raise BackendUnavailable(f"iSCSI target helper is not usable: {exc}") from exc
        log.info("lvm driver ready on %s (%s), targets on %s", self._lvm.vg,
                 "loop devices, activation off" if self._loop_mode else "device-mapper", self._portal)

    def pool_stats(self) -> list[PoolStats]:
        try:
            ((size, free),) = [tuple(map(int, row)) for row in self._lvm.report("vgs", "vg_size,vg_free", self._lvm.vg)]
            provisioned = sum(lv.size for lv in self._lvm.volumes().values())
        except (DriverError, ValueError) as exc:
            raise BackendUnavailable(f"cannot read volume group {self._lvm.vg}: {exc}") from exc
        return [PoolStats(
            pool_name=self._lvm.vg,
            total_capacity_gb=round(size / GiB, 2),
            free_capacity_gb=round(free / GiB, 2),
            provisioned_capacity_gb=round(provisioned / GiB, 2),
            thin_provisioning_support=False,
            extra={"storage_protocol": "iSCSI", "vendor_name": "ember", "driver_version": VERSION,
                   "QoS_support": False, "multiattach": True, "thick_provisioning_support": True,
                   "lvm_activation": "loop" if self._loop_mode else "activate",
                   "snapshots": "full-copy" if self._loop_mode else "copy-on-write"},
        )]

    def volume_path(self, volume_id: str) -> str | None:
        return None  # the bytes are on a device, reached through the export

    def volume_size(self, volume_id: str) -> int | None:
        lv = self._lvm.get(_volume(volume_id))
        return None if lv is None else lv.size

    # -- volumes

    def create_volume(self, volume_id: str, size_gb: int, *, pool: str | None = None) -> None:
        with self._locked(volume_id):
            if self._grow_existing(_volume(volume_id), size_gb):
                return
            self._new_lv(_volume(volume_id), size_gb * GiB, source=None)
        log.info("created volume %s (%d GiB)", volume_id, size_gb)

    def create_volume_from_snapshot(self, volume_id: str, size_gb: int, *, snapshot_id: str,
                                    source_volume_id: str, pool: str | None = None) -> None:
        with self._locked(volume_id):
            if self._grow_existing(_volume(volume_id), size_gb):
                return
            source = self._lvm.get(_snapshot(snapshot_id))
            if source is None:
                raise SourceNotFound(f"snapshot {snapshot_id} of volume {source_volume_id} is missing")
            self._new_lv(_volume(volume_id), size_gb * GiB, source=source)
        log.info("created volume %s (%d GiB) from snapshot %s", volume_id, size_gb, snapshot_id)

    def clone_volume(self, volume_id: str, size_gb: int, *, source_volume_id: str,
                     pool: str | None = None) -> None:
        with self._locked(volume_id):
            if self._grow_existing(_volume(volume_id), size_gb):
                return
            source = self._lvm.get(_volume(source_volume_id))
            if source is None:
                raise SourceNotFound(f"source volume {source_volume_id} is missing")
            self._new_lv(_volume(volume_id), size_gb * GiB, source=source)
        log.info("cloned volume %s from %s (%d GiB)", volume_id, source_volume_id, size_gb)

    def extend_volume(self, volume_id: str, new_size_gb: int) -> None:
        with self._locked(volume_id):
            if not self._grow_existing(_volume(volume_id), new_size_gb):
                raise DriverError(f"cannot extend volume {volume_id}: no LV {_volume(volume_id)}")
        log.info("extended volume %s to %d GiB", volume_id, new_size_gb)

    def delete_volume(self, volume_id: str) -> None:
        name = _volume(volume_id)
        with self._locked(volume_id):
            self._targets.remove(self._iqn(volume_id))
            self._remove_lv(_TMP_PREFIX + name)
            self._remove_lv(name)

    # -- snapshots

    def create_snapshot(self, snapshot_id: str, *, volume_id: str) -> None:
        with self._locked(volume_id):
            name = _snapshot(snapshot_id)
            if self._lvm.get(name) is not None:
                return
            source = self._lvm.get(_volume(volume_id))
            if source is None:
                raise SourceNotFound(f"cannot snapshot volume {volume_id}: no LV {_volume(volume_id)}")
            if self._loop_mode:
                self._new_lv(name, source.size, source=source)
            else:
                self._lvm("lvcreate", "-s", "-L", f"{source.size}b", "-n", name, f"{self._lvm.vg}/{source.name}")
        log.info("created snapshot %s of volume %s", snapshot_id, volume_id)

    def delete_snapshot(self, snapshot_id: str, *, volume_id: str) -> None:
        with self._locked(volume_id):
            self._remove_lv(_TMP_PREFIX + _snapshot(snapshot_id))
            self._remove_lv(_snapshot(snapshot_id))

    def revert_to_snapshot(self, volume_id: str, *, snapshot_id: str) -> None:
        with self._locked(volume_id):
            volume = self._lvm.get(_volume(volume_id))
            snapshot = self._lvm.get(_snapshot(snapshot_id))
            if volume is None or snapshot is None:
                raise SourceNotFound(f"volume {volume_id} or its snapshot {snapshot_id} is missing")
            with self._devices.open(snapshot) as source, self._devices.open(volume) as target:
                self._devices.zero(target, 0, volume.size)
                self._devices.copy(source, target)
        log.info("reverted volume %s to snapshot %s", volume_id, snapshot_id)

    # -- exports: one iSCSI target per volume

    def create_export(self, volume_id: str, connector: Connector | None) -> Export:
        iscsi = IscsiExport(self._portal, self._iqn(volume_id), self._targets.lun,
                            Chap.generate() if self._use_chap else None)
        self._serve(volume_id, iscsi)
        return iscsi.to_export()

    def ensure_export(self, volume_id: str, export: Export) -> None:
        iscsi = IscsiExport.from_export(export)
        if not self._targets.exists(iscsi.iqn):
            self._serve(volume_id, iscsi)
            log.info("iSCSI target of volume %s re-created", volume_id)

    def remove_export(self, volume_id: str, export: Export) -> None:
        with self._locked(volume_id):
            self._targets.remove(self._iqn(volume_id))
            lv = self._lvm.get(_volume(volume_id))
            if lv is not None:
                self._devices.release(lv)

    def initialize_connection(self, volume_id: str, export: Export, connector: Connector) -> ConnectionInfo:
        self.ensure_export(volume_id, export)
        return IscsiExport.from_export(export).connection_info(volume_id)

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

    def _iqn(self, volume_id: str) -> str:
        return f"{self._prefix}{_volume(volume_id)}"

    def _serve(self, volume_id: str, iscsi: IscsiExport) -> None:
        with self._locked(volume_id):
            lv = self._lvm.get(_volume(volume_id))
            if lv is None:
                raise SourceNotFound(f"volume {volume_id} has no LV to export")
            self._targets.create(iscsi.iqn, self._devices.pin(lv), iscsi.chap)

    def _new_lv(self, name: str, size: int, *, source: LogicalVolume | None) -> None:
        """LV ``name`` of ``size`` bytes, zeroed, holding ``source``'s bytes if given."""
        staging = _TMP_PREFIX + name if source is not None else name
        self._remove_lv(staging)
        self._lvcreate(staging, size)
        try:
            lv = self._require(staging)
            with self._devices.open(lv) as device:
                self._devices.zero(device, 0, lv.size)
                if source is not None:
                    with self._devices.open(source) as source_device:
                        self._devices.copy(source_device, device)
        except BaseException:
            with suppress(DriverError):
                self._remove_lv(staging)
            raise
        if staging != name:
            self._lvm("lvrename", self._lvm.vg, staging, name)

    def _lvcreate(self, name: str, size: int) -> None:
        args = ["lvcreate", "-n", name, "-L", f"{size}b", "-Wn"]
        if self._loop_mode:
            args += ["-an", "-Zn", "--contiguous", "y"]
        try:
            self._lvm(*args, self._lvm.vg)
        except DriverError as exc:
            if "Insufficient" in str(exc) or "insufficient" in str(exc):
                raise NotEnoughSpace(f"volume group {self._lvm.vg} has no room for {size // GiB} GiB "
                                     f"({'contiguous, ' if self._loop_mode else ''}{name})") from exc
            raise

    def _grow_existing(self, name: str, size_gb: int) -> bool:
        lv = self._lvm.get(name)
        if lv is None:
            return False
        new_size = size_gb * GiB
        if lv.size >= new_size:
            return True
        try:
            self._lvm("lvextend", "-L", f"{new_size}b", *(["--alloc", "contiguous"] if self._loop_mode else []),
                      f"{self._lvm.vg}/{name}")
        except DriverError as exc:
            if not self._loop_mode:
                raise
            log.info("%s cannot grow in place (%s); moving it to a larger contiguous LV", name, exc)
            self._move_to_larger(lv, new_size)
        grown = self._require(name)
        with self._devices.open(grown) as device:
            self._devices.zero(device, lv.size, grown.size - lv.size)
        self._devices.refresh(lv, grown, self._targets)
        return True

    def _move_to_larger(self, lv: LogicalVolume, new_size: int) -> None:
        staging = _TMP_PREFIX + lv.name
        self._remove_lv(staging)
        self._lvcreate(staging, new_size)
        larger = self._require(staging)
        with self._devices.open(lv) as source, self._devices.open(larger) as target:
            self._devices.zero(target, 0, larger.size)
            self._devices.copy(source, target)
        old = f"old-{lv.name}"
        self._lvm("lvrename", self._lvm.vg, lv.name, old)
        self._lvm("lvrename", self._lvm.vg, staging, lv.name)
        self._lvm("lvremove", "-f", f"{self._lvm.vg}/{old}")

    def _remove_lv(self, name: str) -> None:
        lv = self._lvm.get(name)
        if lv is None:
            return
        self._devices.release(lv)
        self._lvm("lvremove", "-f", f"{self._lvm.vg}/{name}")
        log.info("removed LV %s/%s", self._lvm.vg, name)

    def _require(self, name: str) -> LogicalVolume:
        lv = self._lvm.get(name)
        if lv is None:
            raise DriverError(f"LV {self._lvm.vg}/{name} vanished")
        return lv


def _volume(volume_id: str) -> str:
    return f"volume-{check_id(volume_id)}"


def _snapshot(snapshot_id: str) -> str:
    return f"_snapshot-{check_id(snapshot_id)}"  # LVM reserves names that start with "snapshot"

