"""The backend active's periodic duties: its pools for the schedulers, its heartbeat, its exports.

Run by ember-volume's periodic tasks (``volume/service.py``) and once at takeover (``volume/ha.py``);
each acts only while the fence says this process is the backend's active (the heartbeat always runs).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from db import api as db
from db import errors as db_errors
from drivers.base import VolumeDriver
from drivers.errors import DriverError
from operations.fence import LeaseFence
from volume.client import BINARY
from volume.connections import Connections

log = logging.getLogger("volume.manager")  # the operators' filters know these lines by this name

TOPIC = "ember-volume"


@dataclass(frozen=True)
class BackendIdentity:
    backend_host: str           # host@backend: the RPC server name and the pools' prefix
    backend_name: str           # volume_backend_name, matched against extra specs
    availability_zone: str
    reserved_percentage: int
    max_over_subscription_ratio: float
    service_host: str           # the node this process runs on


class BackendReports:
    def __init__(self, *, driver: VolumeDriver, identity: BackendIdentity, fence: LeaseFence,
                 connections: Connections) -> None:
        self._driver = driver
        self._identity = identity
        self._fence = fence
        self._connections = connections
        self._last_epoch: int | None = None

    def pool_reports(self) -> list[dict[str, Any]]:
        ident = self._identity
        reports = []
        for stats in self._driver.pool_stats():
            thin = stats.thin_provisioning_support
            reports.append({
                "name": f"{ident.backend_host}#{stats.pool_name}",
                "volume_backend_name": ident.backend_name,
                "availability_zone": ident.availability_zone,
                "total_capacity_gb": stats.total_capacity_gb,
                "free_capacity_gb": stats.free_capacity_gb,
                "reserved_percentage": (ident.reserved_percentage if stats.reserved_percentage is None
                                        else stats.reserved_percentage),
                "max_over_subscription_ratio": (ident.max_over_subscription_ratio
                                                if stats.max_over_subscription_ratio is None
                                                else stats.max_over_subscription_ratio),
                "thin_provisioning_support": thin,
                "capabilities": {**stats.extra, "volume_backend_name": ident.backend_name,
                                 "thin_provisioning_support": thin, "thick_provisioning_support": not thin,
                                 "provisioned_capacity_gb": stats.provisioned_capacity_gb,
                                 "pool_name": stats.pool_name},
            })
        return reports

    def report_pools(self) -> None:
        """The active stores the pools in the DB (schedulers read them from there), under its epoch."""
        lease = self._fence.lease_acting()
        if lease is None:
            return
        try:
            db.pool_report(self._identity.backend_host, self.pool_reports(), epoch=lease.epoch)
        except db_errors.Fenced as error:
            self._fence.fenced(error)

    def heartbeat(self, role: str | None) -> None:
        """This process's row: alive, its HA role, and the epoch it holds (or the backend's, last seen)."""
        ident = self._identity
        lease = self._fence.lease
        if lease is not None:
            self._last_epoch = lease.epoch
        else:
            try:
                self._last_epoch = db.backend_get(ident.backend_host).epoch
            except db_errors.NotFound:
                pass
        db.service_heartbeat(host=ident.backend_host, binary=BINARY, topic=TOPIC, node=ident.service_host,
                             availability_zone=ident.availability_zone, ha_role=role, ha_epoch=self._last_epoch)

    def ensure_exports(self) -> int:
        """The active makes every export on record what its attachments need (re-made after a target
        daemon restart, removed when no attachment holds it); returns how many it checked. A failed
        one is logged and tried again at the next pass."""
        if not self._fence.acting():
            return 0
        volumes = db.volume_exports(self._identity.backend_host)
        for volume in volumes:
            try:
                with self._connections.volume_lock(volume.id):
                    self._connections.ensure(volume.id)
            except (DriverError, db_errors.NotFound) as error:
                log.warning("volume %s: its export cannot be re-created: %s", volume.id, error)
            except db_errors.Fenced as error:
                self._fence.fenced(error)
                break
        return len(volumes)
