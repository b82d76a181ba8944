"""The LIO target helper (target_helper = lioadm): the kernel's iSCSI target through rtslib-fb.

What a target needs is first written down as a :class:`LioTarget` (storage object, IQN,
portal, LUN, TPG attributes, CHAP) and then applied through rtslib; the plan is what the
unit tests check, since applying needs configfs, which this machine's kernel lacks.
A new target admits no initiator (no demo mode): each connection adds a node ACL for its
connector's initiator, carrying the volume's CHAP credentials, and ending it deletes the ACL,
like the tgtadm helper's initiator-name ACLs.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

from drivers.errors import BackendUnavailable, DriverError
from drivers.targets.iscsi import Chap

log = logging.getLogger(__name__)

LUN = 0  # LIO numbers LUNs from 0 (tgtd keeps 0 for its controller)
TPG_TAG = 1


@dataclass(frozen=True)
class LioTarget:
    iqn: str
    storage_object: str  # the backstore's name: the IQN's last part (volume-<id>)
    device: str
    portal_ip: str
    portal_port: int
    lun: int = LUN
    chap: Chap | None = field(default=None, repr=False)
    attributes: dict[str, str] = field(default_factory=dict)


def plan(iqn: str, device: str, chap: Chap | None, portal: str) -> LioTarget:
    ip, _, port = portal.rpartition(":")
    attributes = {"generate_node_acls": "0", "cache_dynamic_acls": "0", "demo_mode_write_protect": "1",
                  "authentication": "1" if chap else "0"}
    return LioTarget(iqn=iqn, storage_object=iqn.rsplit(":", 1)[-1], device=device, portal_ip=ip.strip("[]"),
                     portal_port=int(port), chap=chap, attributes=attributes)


@contextmanager
def _translated(what: str) -> Iterator[None]:
    try:
        yield
    except DriverError:
        raise
    except Exception as exc:  # rtslib raises RTSLibError and OSError alike
        raise DriverError(f"{what}: {exc}") from exc


def _rtslib() -> Any:
    try:
        import rtslib_fb
        rtslib_fb.RTSRoot()  # fails without configfs (or without the target_core modules)
    except Exception as exc:  # rtslib raises plain OSError/RTSLibError on a host without LIO
        raise BackendUnavailable(f"LIO is not usable on this host: {exc}") from exc
    return rtslib_fb


class LioAdm:
    lun = LUN

    def __init__(self, portal: str) -> None:
        self._portal = portal

    def setup(self) -> None:
        _rtslib()

    def create(self, iqn: str, device: str, chap: Chap | None) -> None:
        self.remove(iqn)
        self.apply(plan(iqn, device, chap, self._portal))

    def apply(self, target: LioTarget) -> None:
        rts = _rtslib()
        with _translated(f"LIO backstore {target.storage_object}"):
            for leftover in rts.RTSRoot().storage_objects:  # one an interrupted removal left
                if leftover.name == target.storage_object:
                    leftover.delete()
            storage = rts.BlockStorageObject(target.storage_object, dev=target.device)
        try:
            tpg = rts.TPG(rts.Target(rts.FabricModule("iscsi"), target.iqn), TPG_TAG)
            rts.NetworkPortal(tpg, target.portal_ip, target.portal_port)
            rts.LUN(tpg, target.lun, storage)
            for name, value in target.attributes.items():
                tpg.set_attribute(name, value)
            if target.chap is not None:
                tpg.chap_userid = target.chap.username
                tpg.chap_password = target.chap.secret
            tpg.enable = True
        except Exception as exc:  # rtslib raises RTSLibError and OSError alike
            with suppress(Exception):
                rts.Target(rts.FabricModule("iscsi"), target.iqn, mode="lookup").delete()
            storage.delete()
            raise DriverError(f"LIO target {target.iqn}: {exc}") from exc
        log.info("LIO target %s serves %s", target.iqn, target.device)

    def _target(self, iqn: str) -> Any:
        rts = _rtslib()
        with _translated(f"LIO target {iqn}"):
            return next((t for t in rts.RTSRoot().targets if t.wwn == iqn), None)

    def exists(self, iqn: str) -> bool:
        return self._target(iqn) is not None

    def serves(self, iqn: str, device: str, chap: Chap | None) -> bool:
        target = self._target(iqn)
        if target is None:
            return False
        with _translated(f"LIO target {iqn}"):
            tpgs = list(target.tpgs)
            luns = [lun for tpg in tpgs for lun in tpg.luns]
            return (bool(luns) and all(lun.storage_object.udev_path == device for lun in luns)
                    and (chap is None or all(tpg.chap_userid == chap.username for tpg in tpgs)))

    def allow(self, iqn: str, initiator: str, chap: Chap | None) -> None:
        target = self._target(iqn)
        if target is None:
            raise DriverError(f"LIO target {iqn} does not exist")
        rts = _rtslib()
        with _translated(f"LIO ACL of {initiator} on {iqn}"):
            for tpg in target.tpgs:
                acl = rts.NodeACL(tpg, initiator)  # looked up when it exists
                if chap is not None:
                    acl.chap_userid = chap.username
                    acl.chap_password = chap.secret
                for lun in tpg.luns:
                    if not any(mapped.tpg_lun.lun == lun.lun for mapped in acl.mapped_luns):
                        rts.MappedLUN(acl, lun.lun, lun)

    def disallow(self, iqn: str, initiator: str) -> None:
        target = self._target(iqn)
        if target is None:
            return
        with _translated(f"LIO ACL of {initiator} on {iqn}"):
            for tpg in target.tpgs:
                for acl in list(tpg.node_acls):
                    if acl.node_wwn == initiator:
                        acl.delete()

    def targets(self) -> dict[str, str]:
        rts = _rtslib()
        found = {}
        with _translated("LIO targets"):
            for target in rts.RTSRoot().targets:
                for tpg in target.tpgs:
                    for lun in tpg.luns:
                        found[target.wwn] = lun.storage_object.udev_path
        return found

    def remove(self, iqn: str) -> None:
        target = self._target(iqn)
        if target is None:
            return
        with _translated(f"LIO target {iqn}"):
            storage = [lun.storage_object for tpg in target.tpgs for lun in tpg.luns]
            target.delete()
            for backstore in storage:
                backstore.delete()
        log.info("LIO target %s removed", iqn)

    def replace_device(self, iqn: str, device: str) -> None:
        target = self._target(iqn)
        if target is None:
            raise DriverError(f"LIO target {iqn} does not exist")
        tpg = next(iter(target.tpgs))
        chap = Chap(tpg.chap_userid, tpg.chap_password) if tpg.chap_userid else None
        self.create(iqn, device, chap)
