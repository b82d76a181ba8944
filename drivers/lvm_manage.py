"""Manage and unmanage for the LVM driver: an LV of the group is renamed to ember's name; its extents stay.

:class:`LvmManagement` lists the group's LVs that could become volumes or snapshots and takes
them over or lets them go. ``LvmDriver`` holds one and hands it the driver's own LV repair,
lookup and growth, so a managed LV goes through the same crash handling as one ember made.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from drivers import manageable
from drivers.errors import DriverError, ManageRefInvalid
from drivers.locks import VolumeLocks
from drivers.lvm_devices import DataDevices
from drivers.lvm_volumes import (
    OLD,
    SNAPSHOT_PREFIX,
    TMP,
    LogicalVolume,
    Lvm,
    snapshot_lv_name,
    volume_lv_name,
)
from drivers.targets.iscsi import TargetHelper

log = logging.getLogger(__name__)

GiB = 1024 ** 3


class LvmManagement:
    def __init__(self, lvm: Lvm, devices: DataDevices, locks: VolumeLocks, targets: TargetHelper, *,
                 iqn: Callable[[str], str],
                 repair: Callable[[str], LogicalVolume | None],
                 require: Callable[[str], LogicalVolume],
                 grow_existing: Callable[[str, int], bool]) -> None:
        self._lvm = lvm
        self._devices = devices
        self._locks = locks
        self._targets = targets
        self._iqn = iqn
        self._repair = repair
        self._require = require
        self._grow_existing = grow_existing

    def manageable_volumes(self) -> list[manageable.Manageable]:
        found = []
        for name, (lv, attr, origin) in self._candidates().items():
            if name.startswith(SNAPSHOT_PREFIX):
                continue
            found.append(manageable.Manageable(
                name=name, size_gb=manageable.rounded_gb(lv.size), ember_id=manageable.ember_id_of(name),
                reason_not_safe=self._not_safe(lv, attr, origin), extra_info={"lv_attr": attr}))
        return found

    def manageable_snapshots(self) -> list[manageable.Manageable]:
        found = []
        for name, (lv, attr, origin) in self._candidates().items():
            if not (origin or name.startswith(SNAPSHOT_PREFIX)):
                continue
            found.append(manageable.Manageable(
                name=name, size_gb=manageable.rounded_gb(lv.size), source_name=origin or None,
                ember_id=manageable.ember_id_of(name, SNAPSHOT_PREFIX), extra_info={"lv_attr": attr},
                reason_not_safe=self._devices.mapped(lv)))
        return found

    def manageable_volume(self, name: str) -> manageable.Manageable:
        lv, attr, origin = self._candidate(name)
        reason = self._not_safe(lv, attr, origin)
        if reason:
            raise ManageRefInvalid(f"LV {self._lvm.vg}/{name} cannot be managed: {reason}")
        return manageable.Manageable(name=name, size_gb=manageable.rounded_gb(lv.size), pool=self._lvm.vg)

    def manage_volume(self, volume_id: str, name: str, *, size_gb: int) -> None:
        """Rename LV ``name`` to the volume's and grow it to whole GiB (the new tail zeroed); a replay
        finds it renamed."""
        own = volume_lv_name(volume_id)
        with self._locks.hold(volume_id):
            volumes = self._lvm.volumes()
            if own in volumes and name in volumes:
                raise DriverError(f"volume {volume_id} already has an LV {own}")
            if own not in volumes:
                self.manageable_volume(name)  # still there, and still safe
                self._lvm("lvrename", self._lvm.vg, name, own)
            lv = self._require(own)
            if lv.size > size_gb * GiB:
                raise DriverError(f"LV {own} is larger than the {size_gb} GiB it was managed as")
            self._grow_existing(own, size_gb)
        log.info("managed LV %s as volume %s (%d GiB)", name, volume_id, size_gb)

    def unmanage_volume(self, volume_id: str) -> None:
        """The LV stays, under its name; its target and loop device (if any) go."""
        with self._locks.hold(volume_id):
            self._targets.remove(self._iqn(volume_id))
            lv = self._repair(volume_lv_name(volume_id))
            if lv is not None:
                self._devices.release(lv)

    def manageable_snapshot(self, name: str) -> manageable.Manageable:
        lv, _attr, _origin = self._candidate(name)
        reason = self._devices.mapped(lv)
        if reason:
            raise ManageRefInvalid(f"LV {self._lvm.vg}/{name} cannot be managed: {reason}")
        return manageable.Manageable(name=name, size_gb=manageable.rounded_gb(lv.size), pool=self._lvm.vg)

    def manage_snapshot(self, snapshot_id: str, *, volume_id: str, name: str) -> None:
        own = snapshot_lv_name(snapshot_id)
        with self._locks.hold(volume_id):
            if own == name or (self._lvm.get(own) is not None and self._lvm.get(name) is None):
                return  # its own name already (or renamed before a crash)
            _lv, _attr, origin = self._candidate(name)
            if origin and origin != volume_lv_name(volume_id):
                raise ManageRefInvalid(f"LV {name} is a snapshot of {origin}, not of volume {volume_id}")
            self.manageable_snapshot(name)
            self._lvm("lvrename", self._lvm.vg, name, own)
        log.info("managed LV %s as snapshot %s of volume %s", name, snapshot_id, volume_id)

    def unmanage_snapshot(self, snapshot_id: str, *, volume_id: str) -> None:
        pass  # the snapshot's LV stays under its name; nothing exports it

    def _candidates(self) -> dict[str, tuple[LogicalVolume, str, str]]:
        """The group's LVs but ember's leftovers of interrupted work: (LV, lv_attr, origin) by name."""
        volumes = self._lvm.volumes()
        rows = self._lvm.report("lvs", "lv_name,lv_attr,origin", self._lvm.vg)
        return {name: (volumes[name], attr, origin) for name, attr, origin in rows
                if name in volumes and not name.startswith((TMP, OLD))}

    def _candidate(self, name: str) -> tuple[LogicalVolume, str, str]:
        found = self._candidates().get(name)
        if found is None:
            raise ManageRefInvalid(f"volume group {self._lvm.vg} has no LV {name}")
        return found

    def _not_safe(self, lv: LogicalVolume, attr: str, origin: str) -> str | None:
        if origin:
            return f"it is a snapshot of {origin}"
        if attr[:1] not in ("-", "o"):  # thin pools and volumes, mirrors, caches: not a plain LV
            return f"it is no plain LV (lv_attr {attr})"
        if attr[:1] == "o":
            return "it has LVM snapshots"
        if len(attr) > 5 and attr[5] == "o":
            return "it is open (in use)"
        return self._devices.mapped(lv)
