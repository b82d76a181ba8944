"""The volume manager: runs each operation on one backend, in order, and lands its status.

It is the only caller of both the driver and the state transitions on the volume side.
Every method is safe to run twice (a redelivered message, or recovery replaying work):
it acts only while the resource is in the status its ``*.begin`` edge left it in.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from common.context import RequestContext
from db import api as db
from db import errors as db_errors
from db.records import Snapshot, Volume
from drivers.base import VolumeDriver
from drivers.errors import DriverError
from scheduler.client import SchedulerClient
from volume.states import TRANSIENT, SnapshotStatus, Status, edge, snapshot_edge

log = logging.getLogger(__name__)

BINARY = "ember-volume"


@dataclass(frozen=True)
class BackendIdentity:
    backend_host: str           # host@backend: the RPC server name and the pools' prefix
    backend_name: str           # volume_backend_name, matched against extra specs
    availability_zone: str
    reserved_percentage: int
    max_over_subscription_ratio: float
    service_host: str           # the node this process runs on


class VolumeManager:
    def __init__(self, *, driver: VolumeDriver, identity: BackendIdentity,
                 scheduler: SchedulerClient | None = None) -> None:
        self._driver = driver
        self.identity = identity
        self._scheduler = scheduler
        self._inflight: set[tuple[str, str]] = set()
        self._inflight_lock = threading.Lock()

    # -- bookkeeping -------------------------------------------------------------------

    @contextmanager
    def _tracked(self, resource_type: str, resource_id: str, operation: str) -> Iterator[bool]:
        """Yield False if this resource already has an operation running in this process."""
        with self._inflight_lock:
            if (resource_id, operation) in self._inflight:
                yield False
                return
            self._inflight.add((resource_id, operation))
        try:
            db.work_begin(resource_type=resource_type, resource_id=resource_id, operation=operation,
                          backend_host=self.identity.backend_host, service_host=self.identity.service_host)
            yield True
            db.work_end(resource_id=resource_id, operation=operation)
        finally:
            with self._inflight_lock:
                self._inflight.discard((resource_id, operation))

    def is_busy(self, resource_id: str) -> bool:
        with self._inflight_lock:
            return any(busy_id == resource_id for busy_id, _ in self._inflight)

    def _tell_user(self, ctx: RequestContext, *, project_id: str, resource_type: str, resource_id: str,
                   action: str, error: Exception) -> str:
        reason = f"{action} failed: {error}"
        db.message_create(project_id=project_id, resource_type=resource_type, resource_uuid=resource_id,
                          event_id=f"{resource_type}_{action.upper().replace(' ', '_')}",
                          user_message=reason, request_id=ctx.request_id)
        return reason

    @staticmethod
    def _volume(volume_id: str) -> Volume | None:
        try:
            return db.volume_get(volume_id)
        except db_errors.NotFound:
            return None

    @staticmethod
    def _snapshot(snapshot_id: str) -> Snapshot | None:
        try:
            return db.snapshot_get(snapshot_id)
        except db_errors.NotFound:
            return None

    # -- volumes -----------------------------------------------------------------------

    def create_volume(self, ctx: RequestContext, volume_id: str) -> None:
        volume = self._volume(volume_id)
        if volume is None or volume.status != Status.CREATING:
            return
        with self._tracked("volume", volume_id, "create") as mine:
            if not mine:
                return
            try:
                if volume.snapshot_id:
                    snapshot = db.snapshot_get(volume.snapshot_id)
                    self._driver.create_volume_from_snapshot(volume.id, volume.size_gb, snapshot_id=snapshot.id,
                                                             source_volume_id=snapshot.volume_id)
                elif volume.source_volid:
                    self._driver.clone_volume(volume.id, volume.size_gb, source_volume_id=volume.source_volid)
                else:
                    self._driver.create_volume(volume.id, volume.size_gb)
            except (DriverError, db_errors.NotFound) as error:
                log.warning("create of volume %s failed: %s", volume_id, error)
                reason = self._tell_user(ctx, project_id=volume.project_id, resource_type="VOLUME",
                                         resource_id=volume_id, action="create volume", error=error)
                db.volume_transition(volume_id, edge("create.fail"), status_reason=reason)
                return
            if db.volume_transition(volume_id, edge("create.done"), status_reason=None):
                log.info("volume %s: creating -> available", volume_id)

    def delete_volume(self, ctx: RequestContext, volume_id: str) -> None:
        volume = self._volume(volume_id)
        if volume is None or volume.status != Status.DELETING:
            return
        with self._tracked("volume", volume_id, "delete") as mine:
            if not mine:
                return
            try:
                self._driver.delete_volume(volume_id)
            except DriverError as error:
                log.warning("delete of volume %s failed: %s", volume_id, error)
                reason = self._tell_user(ctx, project_id=volume.project_id, resource_type="VOLUME",
                                         resource_id=volume_id, action="delete volume", error=error)
                db.volume_transition(volume_id, edge("delete.fail"), status_reason=reason)
                return
            if db.volume_destroy(volume_id, from_statuses=frozenset({str(Status.DELETING)})):
                log.info("volume %s: deleting -> deleted", volume_id)

    def extend_volume(self, ctx: RequestContext, volume_id: str, new_size_gb: int) -> None:
        volume = self._volume(volume_id)
        if volume is None or volume.status != Status.EXTENDING:
            return
        delta = new_size_gb - volume.size_gb
        with self._tracked("volume", volume_id, "extend") as mine:
            if not mine:
                return
            try:
                self._driver.extend_volume(volume_id, new_size_gb)
            except DriverError as error:
                log.warning("extend of volume %s failed: %s", volume_id, error)
                reason = self._tell_user(ctx, project_id=volume.project_id, resource_type="VOLUME",
                                         resource_id=volume_id, action="extend volume", error=error)
                db.volume_release_on_fail(volume_id, edge("extend.fail"), quota={"gigabytes": delta},
                                          pool_gb=delta, status_reason=reason, target_size_gb=None)
                return
            if db.volume_transition(volume_id, edge("extend.done"), size_gb=new_size_gb, status_reason=None,
                                    target_size_gb=None):
                log.info("volume %s: extending -> available (%d GB)", volume_id, new_size_gb)

    def fail_volume(self, ctx: RequestContext, volume_id: str, status: Status, why: str) -> None:
        """Move a volume found stuck in transient ``status`` along its ``.fail`` edge."""
        volume = self._volume(volume_id)
        if volume is None:
            return
        reason = self._tell_user(ctx, project_id=volume.project_id, resource_type="VOLUME",
                                 resource_id=volume_id, action=f"{status} volume", error=RuntimeError(why))
        db.volume_transition(volume_id, edge(TRANSIENT[status]), status_reason=reason)

    # -- snapshots ---------------------------------------------------------------------

    def create_snapshot(self, ctx: RequestContext, snapshot_id: str) -> None:
        snapshot = self._snapshot(snapshot_id)
        if snapshot is None or snapshot.status != SnapshotStatus.CREATING:
            return
        with self._tracked("snapshot", snapshot_id, "create") as mine:
            if not mine:
                return
            try:
                self._driver.create_snapshot(snapshot_id, volume_id=snapshot.volume_id)
            except DriverError as error:
                log.warning("snapshot %s failed: %s", snapshot_id, error)
                reason = self._tell_user(ctx, project_id=snapshot.project_id, resource_type="SNAPSHOT",
                                         resource_id=snapshot_id, action="create snapshot", error=error)
                db.snapshot_transition(snapshot_id, snapshot_edge("create.fail"), status_reason=reason)
                return
            if db.snapshot_transition(snapshot_id, snapshot_edge("create.done"), progress="100%"):
                log.info("snapshot %s: creating -> available", snapshot_id)

    def delete_snapshot(self, ctx: RequestContext, snapshot_id: str) -> None:
        snapshot = self._snapshot(snapshot_id)
        if snapshot is None or snapshot.status != SnapshotStatus.DELETING:
            return
        with self._tracked("snapshot", snapshot_id, "delete") as mine:
            if not mine:
                return
            try:
                self._driver.delete_snapshot(snapshot_id, volume_id=snapshot.volume_id)
            except DriverError as error:
                log.warning("delete of snapshot %s failed: %s", snapshot_id, error)
                reason = self._tell_user(ctx, project_id=snapshot.project_id, resource_type="SNAPSHOT",
                                         resource_id=snapshot_id, action="delete snapshot", error=error)
                db.snapshot_transition(snapshot_id, snapshot_edge("delete.fail"), status_reason=reason)
                return
            if db.snapshot_destroy(snapshot_id, from_statuses=frozenset({str(SnapshotStatus.DELETING)})):
                log.info("snapshot %s: deleting -> deleted", snapshot_id)

    # -- reports -----------------------------------------------------------------------

    def pool_reports(self) -> list[dict[str, Any]]:
        ident = self.identity
        reports = []
        for stats in self._driver.pool_stats():
            thin = stats.thin_provisioning_support
            reports.append({
                "name": f"{ident.backend_host}#{stats.pool_name}",
                "volume_backend_name": ident.backend_name,
                "availability_zone": ident.availability_zone,
                "total_capacity_gb": stats.total_capacity_gb,
                "free_capacity_gb": stats.free_capacity_gb,
                "reserved_percentage": ident.reserved_percentage,
                "max_over_subscription_ratio": ident.max_over_subscription_ratio,
                "thin_provisioning_support": thin,
                "capabilities": {**stats.extra, "volume_backend_name": ident.backend_name,
                                 "thin_provisioning_support": thin, "thick_provisioning_support": not thin,
                                 "pool_name": stats.pool_name},
            })
        return reports

    def report(self) -> None:
        """Heartbeat, store the pools in the DB, and tell every scheduler at once."""
        ident = self.identity
        db.service_heartbeat(host=ident.backend_host, binary=BINARY, topic="ember-volume",
                             availability_zone=ident.availability_zone)
        pools = self.pool_reports()
        db.pool_report(ident.backend_host, pools)
        if self._scheduler is not None:
            try:
                self._scheduler.report_capabilities(RequestContext.service(BINARY),
                                                    backend_host=ident.backend_host, pools=pools)
            except Exception as error:  # noqa: BLE001 - the DB copy is the truth; the fanout only speeds caches up
                log.debug("capability fanout failed: %s", error)
