"""The LVM driver: volumes are thick logical volumes of one volume group, exported over iSCSI.

``lvm_activation`` picks how a volume's bytes are reached:

- ``activate`` (production): LVs are activated through device-mapper and used as
  /dev/<vg>/<lv>; snapshots are LVM copy-on-write snapshots, and a revert merges one.
- ``loop``: for kernels without device-mapper. lvm2 runs with activation disabled and only
  keeps the metadata; an LV's extents are reached through a loop device set over its
  physical volume at the LV's offset. LVs are allocated contiguous (one loop per LV), and
  snapshots are full copies into an LV of their own.

Crash safety: a new LV is made as ``tmp-<name>``, zeroed (its extents may hold an earlier
volume's bytes), filled, and only then renamed; an extend tags the LV with where its new
part starts until that part is zeroed; a move to a larger LV (loop mode, no room behind it)
keeps ``old-<name>`` until the copy has taken its name. Every operation first finishes or
undoes what such leftovers say (``_repair``), so a replay after a kill lands in one state.

Manage and unmanage are drivers/lvm_manage.py's, which the driver holds and delegates to.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

from oslo_config import cfg

from common.capabilities import ATTACHED_SNAPSHOTS
from drivers import manageable
from drivers.base import (
    NOT_ENFORCED_BY_TGTD,
    ConnectionInfo,
    Connector,
    DataLocation,
    Export,
    PoolStats,
    unenforced,
)
from drivers.errors import (
    BackendUnavailable,
    DriverError,
    InvalidConnector,
    NotEnoughSpace,
    SourceNotFound,
)
from drivers.locks import VolumeLocks
from drivers.lvm_devices import ActivatedDevices, DataDevices, LoopDevices
from drivers.lvm_manage import LvmManagement
from drivers.lvm_volumes import (
    OLD,
    TMP,
    LogicalVolume,
    Lvm,
    snapshot_lv_name,
    volume_lv_name,
)
from drivers.runner import Runner
from drivers.targets.iscsi import Chap, IscsiExport, TargetHelper
from drivers.targets.tgt import TgtAdm

log = logging.getLogger(__name__)

GiB = 1024 ** 3
VERSION = "1.1"
_ZERO_FROM = "ember_zero_from_"  # tag: bytes from here on are not zeroed yet


class LvmDriver:
    static_exports = False  # a target and its CHAP account per export

    def __init__(self, conf: cfg.ConfigOpts, backend: str) -> None:
        section = conf[backend]
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
            from drivers.targets.lio import LioAdm  # needs rtslib-fb and configfs, only where LIO is used
            self._targets: TargetHelper = LioAdm(self._portal)
        else:
            self._targets = TgtAdm(self._runner, section.tgt_control_port)
        self._locks = VolumeLocks(os.path.join(conf.state_path, "locks", backend), self._runner)
        self._management = LvmManagement(self._lvm, self._devices, self._locks, self._targets, iqn=self._iqn,
                                         repair=self._repair, require=self._require,
                                         grow_existing=self._grow_existing)

    # -- set-up and capacity

    def setup(self) -> None:
        self._runner.require(*self._tools(), root=True)
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

    def _tools(self) -> list[str]:
        """Every command this configuration runs (lvm2 through ``env``, which carries its environment
        past a root helper); drivers/tools.py names their packages."""
        tools = ["vgs", "lvs", "lvcreate", "lvremove", "lvrename", "lvextend", "lvchange"]
        tools += ["pvs", "losetup"] if self._loop_mode else ["lvconvert"]
        if isinstance(self._targets, TgtAdm):
            tools.append("tgtadm")
        return [*tools, "blkdiscard", "qemu-img", "env"]

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
                   "snapshots": "full-copy" if self._loop_mode else "copy-on-write",
                   # a full copy of an LV a host writes is no point in time; a copy-on-write snapshot is
                   ATTACHED_SNAPSHOTS: not self._loop_mode},
        )]


    def apply_qos(self, volume_id: str, specs: Mapping[str, str]) -> dict[str, str]:
        return unenforced(specs, NOT_ENFORCED_BY_TGTD)  # none of them (drivers.base)

    def volume_path(self, volume_id: str) -> str | None:
        return None  # the bytes are on a device, reached through the export

    def volume_size(self, volume_id: str) -> int | None:
        with self._locks.hold(volume_id):
            lv = self._repair(volume_lv_name(volume_id))
        return None if lv is None else lv.size

    def data_location(self, volume_id: str, *, snapshot_id: str | None = None) -> DataLocation:
        name = snapshot_lv_name(snapshot_id) if snapshot_id else volume_lv_name(volume_id)
        with self._locks.hold(volume_id):
            lv = self._repair(name)
            if lv is None:
                raise SourceNotFound(f"no LV {name}")
            return DataLocation(self._devices.pin(lv))  # its loop device, or the activated LV's device

    # -- volumes

    def create_volume(self, volume_id: str, size_gb: int, *, pool: str | None = None) -> None:
        with self._locks.hold(volume_id):
            if not self._grow_existing(volume_lv_name(volume_id), size_gb):
                self._new_lv(volume_lv_name(volume_id), size_gb * GiB, source=None)
        log.info("created volume %s (%d GiB)", volume_id, size_gb)

    def create_volume_from_snapshot(self, volume_id: str, size_gb: int, *, snapshot_id: str,
                                    source_volume_id: str, pool: str | None = None) -> None:
        with self._locks.hold(volume_id, source_volume_id):
            if self._grow_existing(volume_lv_name(volume_id), size_gb):
                return
            source = self._repair(snapshot_lv_name(snapshot_id))
            if source is None:
                raise SourceNotFound(f"snapshot {snapshot_id} of volume {source_volume_id} is missing")
            self._new_lv(volume_lv_name(volume_id), size_gb * GiB, source=source)
        log.info("created volume %s (%d GiB) from snapshot %s", volume_id, size_gb, snapshot_id)

    def clone_volume(self, volume_id: str, size_gb: int, *, source_volume_id: str,
                     pool: str | None = None) -> None:
        with self._locks.hold(volume_id, source_volume_id):
            if self._grow_existing(volume_lv_name(volume_id), size_gb):
                return
            source = self._repair(volume_lv_name(source_volume_id))
            if source is None:
                raise SourceNotFound(f"source volume {source_volume_id} is missing")
            self._new_lv(volume_lv_name(volume_id), size_gb * GiB, source=source)
        log.info("cloned volume %s from %s (%d GiB)", volume_id, source_volume_id, size_gb)

    def extend_volume(self, volume_id: str, new_size_gb: int) -> None:
        with self._locks.hold(volume_id):
            if not self._grow_existing(volume_lv_name(volume_id), new_size_gb):
                raise DriverError(f"cannot extend volume {volume_id}: no LV {volume_lv_name(volume_id)}")
        log.info("extended volume %s to %d GiB", volume_id, new_size_gb)

    def delete_volume(self, volume_id: str) -> None:
        name = volume_lv_name(volume_id)
        with self._locks.hold(volume_id):
            self._targets.remove(self._iqn(volume_id))
            for leftover in (TMP + name, OLD + name, name):
                self._remove_lv(leftover)

    # -- snapshots

    def create_snapshot(self, snapshot_id: str, *, volume_id: str) -> None:
        name = snapshot_lv_name(snapshot_id)
        with self._locks.hold(volume_id):
            if self._repair(name) is not None:
                return
            source = self._repair(volume_lv_name(volume_id))
            if source is None:
                raise SourceNotFound(f"cannot snapshot volume {volume_id}: no LV {volume_lv_name(volume_id)}")
            if self._loop_mode:
                self._new_lv(name, source.size, source=source)
            else:
                self._lvm("lvcreate", "-s", "-L", f"{source.size}b", "-n", name, self._lvm.path(source.name))
        log.info("created snapshot %s of volume %s", snapshot_id, volume_id)

    def delete_snapshot(self, snapshot_id: str, *, volume_id: str) -> None:
        with self._locks.hold(volume_id):
            self._remove_lv(TMP + snapshot_lv_name(snapshot_id))
            self._remove_lv(snapshot_lv_name(snapshot_id))

    def revert_to_snapshot(self, volume_id: str, *, snapshot_id: str) -> None:
        with self._locks.hold(volume_id):
            volume = self._repair(volume_lv_name(volume_id))
            snapshot = self._repair(snapshot_lv_name(snapshot_id))
            if volume is None or snapshot is None:
                raise SourceNotFound(f"volume {volume_id} or its snapshot {snapshot_id} is missing")
            if self._loop_mode:
                # every byte rewritten: a revert cut short is redone whole, never left half old, half new
                with self._devices.open(snapshot) as source, self._devices.open(volume) as target:
                    self._devices.copy(source, target, target_zeroed=False)
            else:
                # merge the copy-on-write snapshot into its origin, then take it again (Cinder's way)
                self._lvm("lvconvert", "--merge", self._lvm.path(snapshot.name))
                self._lvm("lvchange", "-an", self._lvm.path(volume.name))
                self._lvm("lvchange", "-ay", self._lvm.path(volume.name))
                self._lvm("lvcreate", "-s", "-L", f"{volume.size}b", "-n", snapshot.name, self._lvm.path(volume.name))
        log.info("reverted volume %s to snapshot %s", volume_id, snapshot_id)

    # -- manage and unmanage (drivers/lvm_manage.py)

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

    # -- exports: one iSCSI target per volume

    def create_export(self, volume_id: str, connector: Connector | None) -> Export:
        iscsi = IscsiExport(self._portal, self._iqn(volume_id), self._targets.lun,
                            Chap.generate() if self._use_chap else None)
        with self._locks.hold(volume_id):
            self._targets.create(iscsi.iqn, self._device_for_export(volume_id), iscsi.chap)
        return iscsi.to_export()

    def ensure_export(self, volume_id: str, export: Export) -> None:
        iscsi = IscsiExport.from_export(export)
        with self._locks.hold(volume_id):
            device = self._device_for_export(volume_id)
            if not self._targets.serves(iscsi.iqn, device, iscsi.chap):
                self._targets.create(iscsi.iqn, device, iscsi.chap)
                log.info("iSCSI target of volume %s re-created", volume_id)

    def remove_export(self, volume_id: str, export: Export) -> None:
        with self._locks.hold(volume_id):
            self._targets.remove(self._iqn(volume_id))
            lv = self._repair(volume_lv_name(volume_id))
            if lv is not None:
                self._devices.release(lv)

    def initialize_connection(self, volume_id: str, export: Export, connector: Connector) -> ConnectionInfo:
        initiator = connector.get("initiator")
        if not isinstance(initiator, str) or not initiator:
            raise InvalidConnector("an iSCSI volume needs the host's initiator name: the connector has no "
                                   "'initiator'")
        # the export exists (create_export or ensure_export came first); a missing target is a DriverError here
        recorded = IscsiExport.from_export(export)
        with self._locks.hold(volume_id):
            self._targets.allow(recorded.iqn, initiator, recorded.chap)
        # this node's portal: after a takeover by another node the record's may be the old one's
        here = IscsiExport(self._portal, recorded.iqn, recorded.lun, recorded.chap)
        return here.connection_info(volume_id)

    def terminate_connection(self, volume_id: str, export: Export, connector: Connector | None) -> None:
        initiator = (connector or {}).get("initiator")
        if isinstance(initiator, str) and initiator:
            with self._locks.hold(volume_id):
                self._targets.disallow(self._iqn(volume_id), initiator)

    # -- helpers

    def _iqn(self, volume_id: str) -> str:
        return f"{self._prefix}{volume_lv_name(volume_id)}"

    def _device_for_export(self, volume_id: str) -> str:
        lv = self._repair(volume_lv_name(volume_id))
        if lv is None:
            raise SourceNotFound(f"volume {volume_id} has no LV to export")
        return self._devices.pin(lv)

    def _repair(self, name: str) -> LogicalVolume | None:
        """LV ``name`` once the leftovers of an interrupted create, extend or move are dealt with."""
        volumes = self._lvm.volumes()
        lv, staging, old = volumes.get(name), volumes.get(TMP + name), volumes.get(OLD + name)
        if lv is None and old is not None:
            # a move died between its renames: the copy is whole (it was renamed only after)
            if staging is not None:
                self._lvm("lvrename", self._lvm.vg, staging.name, name)
                staging = None
            else:
                self._lvm("lvrename", self._lvm.vg, old.name, name)
                old = None
            lv = self._require(name)
        if lv is not None and old is not None:
            self._devices.refresh(old, lv, self._targets)
            self._remove_lv(old.name)
        if staging is not None:
            self._remove_lv(staging.name)  # a copy that never finished
        if lv is not None:
            lv = self._finish_zeroing(lv)
        return lv

    def _finish_zeroing(self, lv: LogicalVolume) -> LogicalVolume:
        marks = [int(tag[len(_ZERO_FROM):]) for tag in lv.tags if tag.startswith(_ZERO_FROM)]
        if not marks:
            return lv
        with self._devices.open(lv) as device:
            self._devices.zero(device, min(marks), lv.size - min(marks))
        for tag in lv.tags:
            if tag.startswith(_ZERO_FROM):
                self._lvm("lvchange", "--deltag", tag, self._lvm.path(lv.name))
        return self._require(lv.name)

    def _new_lv(self, name: str, size: int, *, source: LogicalVolume | None) -> None:
        """LV ``name`` of ``size`` bytes, zeroed, holding ``source``'s bytes if given."""
        staging = TMP + name
        self._remove_lv(staging)
        self._lvcreate(staging, size)
        try:
            lv = self._require(staging)
            with self._devices.open(lv) as device:
                self._devices.zero(device, 0, lv.size)
                if source is not None:
                    with self._devices.open(source) as source_device:
                        self._devices.copy(source_device, device, target_zeroed=True)
        except DriverError:
            self._remove_lv(staging)
            raise
        self._lvm("lvrename", self._lvm.vg, staging, name)

    def _lvcreate(self, name: str, size: int) -> None:
        args = ["lvcreate", "-n", name, "-L", f"{size}b", "-Wn"]
        if self._loop_mode:
            args += ["-an", "-Zn", "--contiguous", "y"]
        try:
            self._lvm(*args, self._lvm.vg)
        except DriverError as exc:
            if "nsufficient" in str(exc):
                raise NotEnoughSpace(f"volume group {self._lvm.vg} has no room for {size // GiB} GiB "
                                     f"({'contiguous, ' if self._loop_mode else ''}{name})") from exc
            raise

    def _grow_existing(self, name: str, size_gb: int) -> bool:
        lv = self._repair(name)
        if lv is None:
            return False
        new_size = size_gb * GiB
        if lv.size >= new_size:
            return True
        self._lvm("lvchange", "--addtag", f"{_ZERO_FROM}{lv.size}", self._lvm.path(name))
        try:
            self._lvm("lvextend", "-L", f"{new_size}b", *(["--alloc", "contiguous"] if self._loop_mode else []),
                      self._lvm.path(name))
        except DriverError as exc:
            if not self._loop_mode or "nsufficient" not in str(exc):
                raise
            log.info("%s cannot grow in place; moving it to a larger contiguous LV", name)
            self._move_to_larger(lv, new_size)
        grown = self._finish_zeroing(self._require(name))
        self._devices.refresh(lv, grown, self._targets)
        return True

    def _move_to_larger(self, lv: LogicalVolume, new_size: int) -> None:
        iqn = self._prefix + lv.name
        if iqn in self._targets.targets():
            # an attached host would keep writing to the old extents during the copy
            raise DriverError(f"{lv.name} is exported and its volume group has no room to grow it in place")
        staging = TMP + lv.name
        self._remove_lv(staging)
        self._lvcreate(staging, new_size)
        larger = self._require(staging)
        with self._devices.open(lv) as source, self._devices.open(larger) as target:
            self._devices.zero(target, 0, larger.size)
            self._devices.copy(source, target, target_zeroed=True)
        self._lvm("lvrename", self._lvm.vg, lv.name, OLD + lv.name)
        self._lvm("lvrename", self._lvm.vg, staging, lv.name)
        self._remove_lv(OLD + lv.name)

    def _remove_lv(self, name: str) -> None:
        lv = self._lvm.get(name)
        if lv is None:
            return
        self._devices.release(lv)
        self._lvm("lvremove", "-f", self._lvm.path(name))
        log.info("removed LV %s/%s", self._lvm.vg, name)

    def _require(self, name: str) -> LogicalVolume:
        lv = self._lvm.get(name)
        if lv is None:
            raise DriverError(f"LV {self._lvm.vg}/{name} vanished")
        return lv
