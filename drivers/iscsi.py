"""iSCSI targets for block drivers: one target per exported volume, LUN 1, CHAP per volume.

The helper is chosen by ``target_helper``: ``tgtadm`` (the userspace tgtd, here and on most
hosts) or ``lioadm`` (the kernel's LIO through rtslib-fb). A target helper is stateless: the
DB keeps each export (provider_location, provider_auth) and ``ensure_export`` hands it back
after a target daemon restart.
"""

from __future__ import annotations

import logging
import re
import secrets
import threading
from dataclasses import dataclass, field
from typing import Protocol

from drivers.base import ConnectionInfo, Export
from drivers.errors import DriverError
from drivers.runner import Runner

log = logging.getLogger(__name__)

LUN = 1
_TID_ATTEMPTS = 5
_USERNAME_CHARS = 20
_SECRET_CHARS = 16


@dataclass(frozen=True)
class Chap:
    username: str
    secret: str = field(repr=False)

    @classmethod
    def generate(cls) -> Chap:
        return cls(secrets.token_hex(_USERNAME_CHARS // 2), secrets.token_urlsafe(_SECRET_CHARS)[:_SECRET_CHARS])


@dataclass(frozen=True)
class IscsiExport:
    portal: str  # "ip:port"
    iqn: str
    lun: int
    chap: Chap | None

    def to_export(self) -> Export:
        auth = None if self.chap is None else f"CHAP {self.chap.username} {self.chap.secret}"
        return Export(provider_location=f"{self.portal},1 {self.iqn} {self.lun}", provider_auth=auth)

    @classmethod
    def from_export(cls, export: Export) -> IscsiExport:
        try:
            portal_tag, iqn, lun = (export.provider_location or "").split()
            chap = None
            if export.provider_auth:
                method, username, secret = export.provider_auth.split()
                if method != "CHAP":
                    raise ValueError(method)
                chap = Chap(username, secret)
            return cls(portal_tag.rsplit(",", 1)[0], iqn, int(lun), chap)
        except ValueError as exc:
            raise DriverError(f"not an iSCSI export: {export.provider_location!r}") from exc

    def connection_info(self, volume_id: str) -> ConnectionInfo:
        data: dict[str, object] = {
            "target_discovered": False, "target_portal": self.portal, "target_iqn": self.iqn,
            "target_lun": self.lun, "target_portals": [self.portal], "target_iqns": [self.iqn],
            "target_luns": [self.lun], "volume_id": volume_id, "discard": False, "encrypted": False,
            "qos_specs": None, "access_mode": "rw",
        }
        if self.chap is not None:
            data.update(auth_method="CHAP", auth_username=self.chap.username, auth_password=self.chap.secret)
        return {"driver_volume_type": "iscsi", "data": data}


class TargetHelper(Protocol):
    lun: int  # the LUN a volume's target serves it as

    def setup(self) -> None: ...

    def create(self, iqn: str, device: str, chap: Chap | None) -> None:
        """A target ``iqn`` serving ``device`` as LUN 1; any target of that name is replaced."""

    def exists(self, iqn: str) -> bool: ...

    def serves(self, iqn: str, device: str, chap: Chap | None) -> bool:
        """True if target ``iqn`` exists, serves ``device`` and admits ``chap``'s user."""

    def remove(self, iqn: str) -> None:
        """Idempotent: a target that is gone is fine."""

    def replace_device(self, iqn: str, device: str) -> None:
        """LUN 1 of ``iqn`` serves ``device`` now (after the volume was resized or moved)."""

    def targets(self) -> dict[str, str]:
        """iqn -> backing device of every target this helper serves."""


_TARGET_LINE = re.compile(r"^Target (\d+): (\S+)$")
_BACKING_LINE = re.compile(r"^\s+Backing store path: (\S+)$")
_SECTION_LINE = re.compile(r"^    (\S[^:]*):$")


@dataclass
class _TgtTarget:
    tid: int
    iqn: str
    device: str | None
    accounts: list[str]


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
                targets.append(_TgtTarget(int(match[1]), match[2], None, []))
                section = ""
            elif not targets:
                continue
            elif match := _SECTION_LINE.match(line):
                section = match[1]
            elif section == "LUN information" and (match := _BACKING_LINE.match(line)) and match[1] != "None":
                targets[-1].device = match[1]
            elif section == "Account information" and line.strip():
                targets[-1].accounts.append(line.strip().split()[0])
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
                self._tgtadm("--mode", "target", "--op", "bind", "--tid", str(tid), "--initiator-address", "ALL")
            except DriverError:
                self.remove(iqn)
                if chap is not None:
                    self._delete_account(chap.username)
                raise
        log.info("iSCSI target %s (tid %d) serves %s", iqn, tid, device)

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
            target = self._find(iqn)
            if target is None:
                raise DriverError(f"iSCSI target {iqn} does not exist")
            tid = str(target.tid)
            # a kill between the two leaves a target without its LUN: ensure_export's check re-creates it
            self._tgtadm("--mode", "logicalunit", "--op", "delete", "--tid", tid, "--lun", str(LUN))
            self._tgtadm("--mode", "logicalunit", "--op", "new", "--tid", tid, "--lun", str(LUN),
                         "--backing-store", device)
