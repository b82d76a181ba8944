"""The tgtadm target helper: targets of one tgtd (the userspace iSCSI target), through ``tgtadm -C <port>``.

One target per exported volume with the volume as LUN 1 (tgtd keeps LUN 0 for its
controller) and one CHAP account bound to it. A new target admits no initiator: each
connection binds its connector's initiator name (tgtd's initiator-name ACL), and ending the
connection unbinds it, so a host needs both its own name on the list and the CHAP secret.
tgtd keeps nothing across a restart: ensure_export rebuilds from the DB's record.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass

from drivers.errors import DriverError
from drivers.runner import Runner
from drivers.targets.iscsi import Chap

log = logging.getLogger(__name__)

LUN = 1
_TID_ATTEMPTS = 5
_TARGET_LINE = re.compile(r"^Target (\d+): (\S+)$")
_BACKING_LINE = re.compile(r"^\s+Backing store path: (\S+)$")
_SECTION_LINE = re.compile(r"^    (\S[^:]*):$")


@dataclass
class _TgtTarget:
    tid: int
    iqn: str
    device: str | None
    accounts: list[str]
    acls: list[str]


class TgtAdm:
    """Targets of one tgtd, through ``tgtadm -C <control port>``."""

    lun = LUN

    def __init__(self, runner: Runner, control_port: int) -> None:
        self._runner = runner
        self._control_port = control_port
        self._lock = threading.RLock()

    def _tgtadm(self, *args: str, secrets: tuple[str, ...] = ()) -> str:
        argv = ["tgtadm", "-C", str(self._control_port), "--lld", "iscsi", *args]
        return self._runner.run(argv, root=True, secrets=secrets, timeout_s=30.0).stdout

    def setup(self) -> None:
        self._tgtadm("--mode", "target", "--op", "show")  # raises if tgtd is not running

    def _show(self) -> list[_TgtTarget]:
        targets: list[_TgtTarget] = []
        section = ""
        for line in self._tgtadm("--mode", "target", "--op", "show").splitlines():
            if match := _TARGET_LINE.match(line):
                targets.append(_TgtTarget(int(match[1]), match[2], None, [], []))
                section = ""
            elif not targets:
                continue
            elif match := _SECTION_LINE.match(line):
                section = match[1]
            elif section == "LUN information" and (match := _BACKING_LINE.match(line)) and match[1] != "None":
                targets[-1].device = match[1]
            elif section == "Account information" and line.strip():
                targets[-1].accounts.append(line.strip().split()[0])
            elif section == "ACL information" and line.strip():
                targets[-1].acls.append(line.strip())
        return targets

    def _find(self, iqn: str) -> _TgtTarget | None:
        return next((t for t in self._show() if t.iqn == iqn), None)

    def targets(self) -> dict[str, str]:
        return {t.iqn: t.device or "" for t in self._show()}

    def exists(self, iqn: str) -> bool:
        return self._find(iqn) is not None

    def serves(self, iqn: str, device: str, chap: Chap | None) -> bool:
        target = self._find(iqn)
        return (target is not None and target.device == device
                and (chap is None or chap.username in target.accounts))

    def create(self, iqn: str, device: str, chap: Chap | None) -> None:
        # One tgtd may serve several backends' volume services: the tid is taken, not assumed free.
        with self._lock:
            self.remove(iqn)
            for _ in range(_TID_ATTEMPTS):
                tid = max((t.tid for t in self._show()), default=0) + 1
                try:
                    self._tgtadm("--mode", "target", "--op", "new", "--tid", str(tid), "--targetname", iqn)
                    break
                except DriverError as exc:
                    if "already exists" not in str(exc):
                        raise
            else:
                raise DriverError(f"no free tid for iSCSI target {iqn} after {_TID_ATTEMPTS} attempts")
            try:
                self._tgtadm("--mode", "logicalunit", "--op", "new", "--tid", str(tid), "--lun", str(LUN),
                             "--backing-store", device)
                if chap is not None:
                    self._delete_account(chap.username)  # one an interrupted export left unbound
                    self._tgtadm("--mode", "account", "--op", "new", "--user", chap.username,
                                 "--password", chap.secret, secrets=(chap.secret,))
                    self._tgtadm("--mode", "account", "--op", "bind", "--tid", str(tid), "--user", chap.username)
            except DriverError:
                self.remove(iqn)
                if chap is not None:
                    self._delete_account(chap.username)
                raise
        log.info("iSCSI target %s (tid %d) serves %s", iqn, tid, device)

    def allow(self, iqn: str, initiator: str, chap: Chap | None) -> None:
        with self._lock:
            target = self._require(iqn)
            if initiator not in target.acls:
                self._tgtadm("--mode", "target", "--op", "bind", "--tid", str(target.tid), "--initiator-name",
                             initiator)
                log.info("iSCSI target %s admits %s", iqn, initiator)

    def disallow(self, iqn: str, initiator: str) -> None:
        with self._lock:
            target = self._find(iqn)
            if target is not None and initiator in target.acls:
                self._tgtadm("--mode", "target", "--op", "unbind", "--tid", str(target.tid), "--initiator-name",
                             initiator)
                log.info("iSCSI target %s no longer admits %s", iqn, initiator)

    def _require(self, iqn: str) -> _TgtTarget:
        target = self._find(iqn)
        if target is None:
            raise DriverError(f"iSCSI target {iqn} does not exist")
        return target

    def _delete_account(self, username: str) -> None:
        argv = ["tgtadm", "-C", str(self._control_port), "--lld", "iscsi", "--mode", "account", "--op", "delete",
                "--user", username]
        self._runner.run(argv, root=True, timeout_s=30.0, ok_codes=range(256))  # gone already: fine

    def remove(self, iqn: str) -> None:
        with self._lock:
            target = self._find(iqn)
            if target is None:
                return
            self._tgtadm("--mode", "target", "--op", "delete", "--force", "--tid", str(target.tid))
            for account in target.accounts:
                self._delete_account(account)
        log.info("iSCSI target %s removed", iqn)

    def replace_device(self, iqn: str, device: str) -> None:
        with self._lock:
            tid = str(self._require(iqn).tid)
            # a kill between the two leaves a target without its LUN: ensure_export's check re-creates it
            self._tgtadm("--mode", "logicalunit", "--op", "delete", "--tid", tid, "--lun", str(LUN))
            self._tgtadm("--mode", "logicalunit", "--op", "new", "--tid", tid, "--lun", str(LUN),
                         "--backing-store", device)
