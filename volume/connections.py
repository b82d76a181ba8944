"""Connections of attachments: the export a volume needs while any attachment holds it, and each host's access.

The volume's export (an iSCSI target with its CHAP account, an NFS share's address) is made
for its first connection, recorded in the DB under the active's epoch *before* any host is
told about it, and removed with its last connection (then the record is cleared), so a crash
at any point leaves either no export or one on record. An export nothing is made for (a
driver's ``static_exports``: a share's address, a file) is recorded, and forgotten, in the
transaction that lands the connection: one fenced write fewer each way, and still before the
host hears of it; ``ensure`` (at takeover and at every
report) removes a recorded export no attachment holds and re-makes the others with the access
their attachments still hold. Each connection adds the connector's own access (the initiator's
ACL); ending it, or os-terminate_connection, takes that away, unless another attachment still
admitted from that host keeps it. An attachment whose connection os-terminate_connection ended
has no connection_info (the api records that before it asks for the access to go), and nothing
gives its access back. The caller holds ``volume_lock``: whether an export is still needed is
then certain.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from common.redact import SECRET_FIELDS
from db import api as db
from db import errors as db_errors
from db.records import Attachment, Volume
from drivers.base import ConnectionInfo, Connector, Export, VolumeDriver
from operations.locks import KeyedLocks
from operations.operation import VOLUME_VALUES
from volume import qos
from volume.states.attachments import ATTACHMENT_CONNECTED, SETTLED, settled

# How the DB settles a volume's status from its attachments: the state table's rule.
SETTLE_RULE = db.SettleRule(frozenset(str(s) for s in SETTLED), settled)


def without_secrets(info: ConnectionInfo) -> ConnectionInfo:
    """connection_info as the DB keeps it: the CHAP secret stays in the volume's provider_auth only."""
    data = {key: value for key, value in dict(info.get("data") or {}).items() if key not in SECRET_FIELDS}
    return {**info, "data": data}


class Connections:
    def __init__(self, driver: VolumeDriver, *, backend_host: str, epoch: Callable[[], int],
                 locks: KeyedLocks | None = None) -> None:
        self._driver = driver
        self._backend_host = backend_host
        self._epoch = epoch  # the active's epoch, or Fenced when it no longer acts
        self._locks = locks or KeyedLocks()  # shared with the operation runner: attachments lock by volume

    def volume_lock(self, volume_id: str) -> AbstractContextManager[bool]:
        return self._locks.hold(volume_id)

    # -- the work of the attachment operations (values landed with their done edge)

    def connect(self, attachment: Attachment) -> dict[str, Any]:
        volume = db.volume_get(attachment.volume_id)
        connector: Connector = dict(attachment.connector or {})
        values: dict[str, Any] = {}
        if _recorded(volume) is None and self._driver.static_exports:
            # nothing is made for it, so nothing can be left behind: recorded with the landing
            export = self._driver.create_export(volume.id, connector)
            values[VOLUME_VALUES] = _record_of(export)
        else:
            export = self._export(volume, connector)
        try:
            info = self._driver.initialize_connection(volume.id, export, connector)
        except Exception:
            if not values:
                self._drop_unused_export(volume, export, holders=self._holders(volume.id, leaving=attachment.id))
            raise
        qos.apply(self._driver, volume, "connect")
        data = {**dict(info.get("data") or {}), "access_mode": attachment.attach_mode}
        return {**values, "connection_info": without_secrets({**info, "data": data}),
                "attached_host": _text(connector.get("host")), "mountpoint": _text(connector.get("mountpoint"))}

    def disconnect(self, attachment: Attachment) -> dict[str, Any]:
        """The disconnect operation's work; a static export's record is cleared with its landing."""
        return self._disconnect(attachment, in_landing=self._driver.static_exports)

    def undo_connect(self, attachment: Attachment) -> dict[str, Any]:
        """Take back what an interrupted connect made; what follows is a fail landing, so a record goes now."""
        return self._disconnect(attachment, in_landing=False)

    def _disconnect(self, attachment: Attachment, *, in_landing: bool) -> dict[str, Any]:
        try:
            volume = db.volume_get(attachment.volume_id)
        except db_errors.NotFound:
            return {}
        export = _recorded(volume)
        if export is None:
            return {}
        holders = self._holders(volume.id, leaving=attachment.id)  # one read: the volume lock is held
        self._revoke(volume.id, export, attachment.connector, holders=holders)
        if in_landing:
            if holders:
                return {}
            self._driver.remove_export(volume.id, export)
            return {VOLUME_VALUES: _record_of(None)}
        self._drop_unused_export(volume, export, holders=holders)
        return {}

    def terminate(self, volume_id: str, connector: Connector) -> None:
        """os-terminate_connection: the connector's access goes; its attachments stay (until os-detach)."""
        export = _recorded(db.volume_get(volume_id))
        if export is not None:
            self._revoke(volume_id, export, connector, holders=self._holders(volume_id, leaving=None))

    def ensure(self, volume_id: str) -> None:
        """The recorded export of the volume as its attachments need it: re-made with the access they
        still hold (a restarted target daemon knows none), or removed when none holds it."""
        volume = db.volume_get(volume_id)
        export = _recorded(volume)
        if export is None:
            return
        holders = self._holders(volume.id, leaving=None)
        if not holders:
            self._drop_unused_export(volume, export, holders=holders)
            return
        self._driver.ensure_export(volume.id, export)
        for connector in _admitted(holders):
            self._driver.initialize_connection(volume.id, export, connector)

    def _holders(self, volume_id: str, *, leaving: str | None) -> list[Attachment]:
        return [a for a in db.attachments_of_volume(volume_id) if a.id != leaving and a.status in ATTACHMENT_CONNECTED]

    def _revoke(self, volume_id: str, export: Export, connector: Connector | None, *,
                holders: list[Attachment]) -> None:
        """Take the connector's access away, unless another attachment admitted from its host still holds it."""
        if any(_same_access(kept, connector) for kept in _admitted(holders)):
            return
        self._driver.terminate_connection(volume_id, export, connector)

    # -- the export

    def _export(self, volume: Volume, connector: Connector) -> Export:
        export = _recorded(volume)
        if export is not None:
            self._driver.ensure_export(volume.id, export)
            for admitted in _admitted(self._holders(volume.id, leaving=None)):  # a re-made target lost them
                self._driver.initialize_connection(volume.id, export, admitted)
            return export
        export = self._driver.create_export(volume.id, connector)
        try:
            db.volume_export_update(volume.id, provider_location=export.provider_location,
                                    provider_auth=export.provider_auth, backend_host=self._backend_host,
                                    epoch=self._epoch())
        except Exception:
            self._driver.remove_export(volume.id, export)
            raise
        return export

    def _drop_unused_export(self, volume: Volume, export: Export, *, holders: list[Attachment]) -> None:
        if holders:
            return
        # removed first: a crash between the two leaves a record of nothing, which ``ensure`` clears
        self._driver.remove_export(volume.id, export)
        db.volume_export_update(volume.id, provider_location=None, provider_auth=None,
                                backend_host=self._backend_host, epoch=self._epoch())


def _record_of(export: Export | None) -> dict[str, str | None]:
    """The volume's columns that record ``export`` (None: that forget it)."""
    return {"provider_location": export.provider_location if export else None,
            "provider_auth": export.provider_auth if export else None}


def _recorded(volume: Volume) -> Export | None:
    if not volume.provider_location:
        return None
    return Export(volume.provider_location, volume.provider_auth)


def _admitted(holders: list[Attachment]) -> list[Connector]:
    """The connectors whose access these attachments hold: not those os-terminate_connection ended."""
    return [dict(a.connector) for a in holders if a.connector and a.connection_info]


def _same_access(kept: Connector, connector: Connector | None) -> bool:
    """Whether both connectors are admitted as one: by the initiator's name, or the host's without one."""
    if not connector:
        return False
    key = "initiator" if connector.get("initiator") else "host"
    return bool(connector.get(key)) and kept.get(key) == connector.get(key)


def _text(value: object) -> str | None:
    return value[:255] if isinstance(value, str) and value else None
