"""iSCSI exports of block drivers: one target per exported volume, with CHAP credentials of its own.

The helper is chosen by ``target_helper``: ``tgtadm`` (the userspace tgtd, here and on most
hosts: targets/tgt.py) or ``lioadm`` (the kernel's LIO through rtslib-fb: targets/lio.py). A
target helper is stateless: the DB keeps each export (provider_location, provider_auth) and
``ensure_export`` hands it back after a target daemon restart.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Protocol

from drivers.base import ConnectionInfo, Export
from drivers.errors import DriverError

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
        """A target ``iqn`` serving ``device`` as LUN ``lun``; any target of that name is replaced."""

    def exists(self, iqn: str) -> bool: ...

    def serves(self, iqn: str, device: str, chap: Chap | None) -> bool:
        """True if target ``iqn`` exists, serves ``device`` and admits ``chap``'s user."""

    def allow(self, iqn: str, initiator: str, chap: Chap | None) -> None:
        """Admit ``initiator`` (by its name) to target ``iqn``; it still logs in with ``chap``. Idempotent."""

    def disallow(self, iqn: str, initiator: str) -> None:
        """Take the initiator's access away; a target or access that is gone is fine."""

    def remove(self, iqn: str) -> None:
        """Idempotent: a target that is gone is fine."""

    def replace_device(self, iqn: str, device: str) -> None:
        """The LUN of ``iqn`` serves ``device`` now (after the volume was resized or moved)."""

    def targets(self) -> dict[str, str]:
        """iqn -> backing device of every target this helper serves."""
