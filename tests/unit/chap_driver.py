"""The no-op driver with the exports the lvm driver records: an iSCSI target per volume with CHAP
credentials of its own (``drivers.targets.iscsi``), and no target daemon behind them.

The unit tier runs the whole attach flow on it to see where a CHAP secret goes (the DB, the
idempotency table, the log); that the credentials open a real target is the integration and
ha tiers' job (lvm with tgtd, read through libiscsi).
"""

from __future__ import annotations

from drivers.base import ConnectionInfo, Connector, Export
from drivers.errors import DriverError
from drivers.noop import NoopDriver
from drivers.targets.iscsi import Chap, IscsiExport

PORTAL = "192.0.2.10:3260"


class ChapNoopDriver(NoopDriver):
    static_exports = False  # a target per volume, as lvm's: recorded before the connection lands

    def create_export(self, volume_id: str, connector: Connector | None) -> Export:
        return IscsiExport(PORTAL, f"iqn.2010-10.org.openstack:volume-{volume_id}", 1, Chap.generate()).to_export()

    def initialize_connection(self, volume_id: str, export: Export, connector: Connector) -> ConnectionInfo:
        super().initialize_connection(volume_id, export, connector)
        return IscsiExport.from_export(export).connection_info(volume_id)


LEAKED = "Lk4-secret_9xYzQ"


class LeakyFailingDriver(ChapNoopDriver):
    """Fails extends and connections with an error that quotes CHAP credentials (as a careless
    storage tool's message might)."""

    def extend_volume(self, volume_id: str, new_size_gb: int) -> None:
        raise DriverError(f"target update failed: provider_auth CHAP 0123456789abcdef0123 {LEAKED} rejected")

    def initialize_connection(self, volume_id: str, export: Export, connector: Connector) -> ConnectionInfo:
        raise DriverError(f"tgtadm --op bind failed: {{'auth_password': '{LEAKED}'}}")
