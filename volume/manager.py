"""The volume manager: the operations ember-volume runs on one backend, each one table row and one work call.

It is the only caller of both the driver and the state transitions on the volume side. Every
operation runs through the operation skeleton (``operations/runner.py``) with the resource kinds
of ``volume/kinds.py``: only while this process holds the backend's lease, claimed under its
epoch, landed by the state table's done or fail edge in the transaction that ends the claim.
Attachments' connect and disconnect run one per volume at a time and answer the api's RPC call
with an ``Outcome``. The active's periodic duties are ``volume/reports.py``; finding the work a
dead service left is ``volume/recovery.py``.
"""

from __future__ import annotations

import logging
from typing import Any

from common.context import RequestContext
from db import api as db
from db import errors as db_errors
from drivers.base import VolumeDriver
from drivers.errors import DriverError, InvalidConnector
from operations import recovery
from operations.fence import LeaseFence
from operations.locks import KeyedLocks
from operations.operation import Operation, OperationStopped, Work
from operations.runner import OperationRunner, Outcome
from volume import messages, qos
from volume.connections import Connections
from volume.election import Lease
from volume.kinds import KINDS
from volume.manage import ManageWork
from volume.migration import Migrations
from volume.reports import BackendIdentity, BackendReports
from volume.states import OPERATIONS
from volume.states.snapshots import SnapshotStatus, snapshot_edge
from volume.states.volumes import Status

log = logging.getLogger(__name__)

__all__ = ["BackendIdentity", "Outcome", "VolumeManager"]


class VolumeManager:
    def __init__(self, *, driver: VolumeDriver, identity: BackendIdentity, copy_bps_limit: int = 0) -> None:
        self._driver = driver
        self.identity = identity
        self.fence: LeaseFence[Lease] = LeaseFence(identity.backend_host, logger=log)
        locks = KeyedLocks()  # one per volume: its attachments' connections change one at a time
        self.connections = Connections(driver, backend_host=identity.backend_host, epoch=self.fence.epoch,
                                       locks=locks)
        self.runner = OperationRunner(kinds=KINDS, fence=self.fence, backend_host=identity.backend_host,
                                      node=identity.service_host, notices=messages.OperationNotices(), locks=locks,
                                      request_faults=(InvalidConnector,), logger=log)
        self.manage = ManageWork(driver)
        self.reports = BackendReports(driver=driver, identity=identity, fence=self.fence,
                                      connections=self.connections)
        self.migrations = Migrations(driver, backend_host=identity.backend_host, acting=self.fence.acting,
                                     copy_bps_limit=copy_bps_limit)
        # the work recovery runs again (idempotent driver calls), and what it takes back before failing
        self._redo: dict[tuple[str, str], Work] = {
            ("volume", "create"): self._create, ("volume", "extend"): self._extend_to_target,
            ("volume", "delete"): self._delete, ("snapshot", "create"): self._create_snapshot,
            ("snapshot", "delete"): self._delete_snapshot, ("attachment", "disconnect"): self.connections.disconnect,
            ("volume", "manage"): self.manage.manage_again, ("volume", "unmanage"): self.manage.unmanage,
            ("snapshot", "manage"): self.manage.manage_snapshot_again,
            ("snapshot", "unmanage"): self.manage.unmanage_snapshot,
            ("group_snapshot", "delete"): self._delete_group_snapshot}
        # an interrupted connect may have made the connector's access and an export nobody holds; an
        # interrupted group snapshot some of its members' snapshots (not redone: they would be of two moments)
        self._undo: dict[tuple[str, str], Work] = {("attachment", "connect"): self.connections.undo_connect,
                                                   ("group_snapshot", "create"): self._remove_group_members,
                                                   # an interrupted migration's half-written copy
                                                   ("volume", "migrate"): self.migrations.discard_target,
                                                   ("volume", "retype"): self.migrations.discard_target}

    @property
    def lease(self) -> Lease | None:
        """Set by the backend's supervisor while this process is the active."""
        return self.fence.lease

    @lease.setter
    def lease(self, lease: Lease | None) -> None:
        self.fence.lease = lease

    def acting(self) -> bool:
        return self.fence.acting()

    # -- the operations, one table row and one driver call each ---------------------------

    def create_volume(self, ctx: RequestContext, volume_id: str) -> bool:
        return self._run(ctx, OPERATIONS["volume", "create"], volume_id, self._create)

    def extend_volume(self, ctx: RequestContext, volume_id: str, new_size_gb: int) -> bool:
        def extend(volume: Any) -> dict[str, Any]:
            return self._extend(volume, volume.target_size_gb or new_size_gb)  # the row's target: what quota reserved

        return self._run(ctx, OPERATIONS["volume", "extend"], volume_id, extend)

    def delete_volume(self, ctx: RequestContext, volume_id: str) -> bool:
        return self._run(ctx, OPERATIONS["volume", "delete"], volume_id, self._delete)

    def revert_volume(self, ctx: RequestContext, volume_id: str, snapshot_id: str) -> bool:
        def revert(volume: Any) -> dict[str, Any]:
            self._driver.revert_to_snapshot(volume.id, snapshot_id=snapshot_id)
            return {}

        return self._run(ctx, OPERATIONS["volume", "revert"], volume_id, revert)

    def migrate_volume(self, ctx: RequestContext, volume_id: str) -> bool:
        """Move the volume to its migration_host (``volume/migration.py``); its old copy goes once it landed."""
        try:
            status = db.volume_get(volume_id).status
        except db_errors.NotFound:
            return self.acting()
        op = OPERATIONS["volume", "retype" if status == Status.RETYPING else "migrate"]
        acted = self._run(ctx, op, volume_id, self.migrations.work)
        if acted:
            self.migrations.after_landing(volume_id)
        return acted

    def create_snapshot(self, ctx: RequestContext, snapshot_id: str) -> bool:
        return self._run(ctx, OPERATIONS["snapshot", "create"], snapshot_id, self._create_snapshot)

    def delete_snapshot(self, ctx: RequestContext, snapshot_id: str) -> bool:
        return self._run(ctx, OPERATIONS["snapshot", "delete"], snapshot_id, self._delete_snapshot)

    def manage_volume(self, ctx: RequestContext, volume_id: str, name: str) -> bool:
        return self._run(ctx, OPERATIONS["volume", "manage"], volume_id, self.manage.manage(name))

    def unmanage_volume(self, ctx: RequestContext, volume_id: str) -> bool:
        return self._run(ctx, OPERATIONS["volume", "unmanage"], volume_id, self.manage.unmanage)

    def manage_snapshot(self, ctx: RequestContext, snapshot_id: str, name: str) -> bool:
        return self._run(ctx, OPERATIONS["snapshot", "manage"], snapshot_id, self.manage.manage_snapshot(name))

    def unmanage_snapshot(self, ctx: RequestContext, snapshot_id: str) -> bool:
        return self._run(ctx, OPERATIONS["snapshot", "unmanage"], snapshot_id, self.manage.unmanage_snapshot)

    def manageable(self, kind: str, name: str | None) -> dict[str, Any]:
        """For the api: the manageable list of ``kind`` (volumes, snapshots), or one name checked before a
        manage; {"acted": False} if this process is not the active."""
        if not self.acting():
            return {"acted": False}
        if name is not None:
            return {"acted": True, **self.manage.check(kind, name)}
        try:
            return {"acted": True, "entries": self.manage.listing(kind)}
        except DriverError as error:
            return {"acted": True, "error": str(error)}

    def create_group_snapshot(self, ctx: RequestContext, group_snapshot_id: str) -> bool:
        return self._run(ctx, OPERATIONS["group_snapshot", "create"], group_snapshot_id, self._create_group_snapshot)

    def delete_group_snapshot(self, ctx: RequestContext, group_snapshot_id: str) -> bool:
        return self._run(ctx, OPERATIONS["group_snapshot", "delete"], group_snapshot_id, self._delete_group_snapshot)

    def _run(self, ctx: RequestContext, op: Operation, resource_id: str, work: Work) -> bool:
        """False only when this process is not the backend's active (the message goes back to the queue)."""
        return self.runner.run(ctx, op, resource_id, work).acted

    # -- attachments: answered to the api's RPC call, so they say how they went

    def connect_attachment(self, ctx: RequestContext, attachment_id: str) -> Outcome:
        """Export the volume to the attachment's connector and hand out its connection_info."""
        return self.runner.run(ctx, OPERATIONS["attachment", "connect"], attachment_id, self.connections.connect)

    def disconnect_attachment(self, ctx: RequestContext, attachment_id: str) -> Outcome:
        """End the attachment's connection (and the export with the last one) and delete it."""
        return self.runner.run(ctx, OPERATIONS["attachment", "disconnect"], attachment_id,
                               self.connections.disconnect)

    def terminate_connection(self, ctx: RequestContext, volume_id: str, connector: dict[str, Any]) -> Outcome:
        """Legacy os-terminate_connection: the connector loses its access; the attachment stays until os-detach."""
        if not self.acting():
            return Outcome(acted=False)
        try:
            with self.connections.volume_lock(volume_id):
                self.connections.terminate(volume_id, connector)
        except DriverError as error:
            return Outcome(acted=True, error=str(error), invalid=isinstance(error, InvalidConnector))
        return Outcome(acted=True)

    def data_location(self, volume_id: str, snapshot_id: str | None) -> dict[str, Any]:
        """For the backup service: where the volume's (or its snapshot's) bytes are; {"acted": False} if this
        process is not the active, {"error": ...} if the storage has no such data."""
        if not self.acting():
            return {"acted": False}
        try:
            found = self._driver.data_location(volume_id, snapshot_id=snapshot_id)
        except DriverError as error:
            return {"acted": True, "error": str(error)}
        return {"acted": True, "location": found.location, "format": found.format}

    # -- the work: driver calls; what they return is landed with the done edge

    def _create(self, volume: Any) -> dict[str, Any]:
        pool = (volume.host.partition("#")[2] or None) if volume.host else None
        if volume.snapshot_id:
            snapshot = db.snapshot_get(volume.snapshot_id)
            self._driver.create_volume_from_snapshot(volume.id, volume.size_gb, snapshot_id=snapshot.id,
                                                     source_volume_id=snapshot.volume_id, pool=pool)
        elif volume.source_volid:
            self._driver.clone_volume(volume.id, volume.size_gb, source_volume_id=volume.source_volid, pool=pool)
        else:
            self._driver.create_volume(volume.id, volume.size_gb, pool=pool)
        qos.apply(self._driver, volume, "create")
        return {}

    def _extend(self, volume: Any, size_gb: int) -> dict[str, Any]:
        self._driver.extend_volume(volume.id, size_gb)
        return {"size_gb": size_gb, "target_size_gb": None}

    def _extend_to_target(self, volume: Any) -> dict[str, Any]:
        if not volume.target_size_gb:  # an extend from before target sizes were kept cannot be redone
            raise OperationStopped("the extend's target size was not kept")
        return self._extend(volume, volume.target_size_gb)

    def _delete(self, volume: Any) -> dict[str, Any]:
        # a cascade delete: the api marked the volume's snapshots deleting along with it (a plain delete
        # needs a volume without snapshots), so they go first, one by one, then the volume
        for snapshot in db.snapshot_list(project_id=None, filters={"volume_id": volume.id,
                                                                   "status": SnapshotStatus.DELETING}):
            self._driver.delete_snapshot(snapshot.id, volume_id=volume.id)
            db.snapshot_destroy(snapshot.id, snapshot_edge("delete.done"))
            log.info("snapshot %s: deleted with its volume %s (cascade)", snapshot.id, volume.id)
        self._driver.delete_volume(volume.id)
        return {}

    def _create_snapshot(self, snapshot: Any) -> dict[str, Any]:
        self._driver.create_snapshot(snapshot.id, volume_id=snapshot.volume_id)
        return {"progress": "100%"}

    def _delete_snapshot(self, snapshot: Any) -> dict[str, Any]:
        self._driver.delete_snapshot(snapshot.id, volume_id=snapshot.volume_id)
        return {}

    def _create_group_snapshot(self, group_snapshot: Any) -> dict[str, Any]:
        """Every member's snapshot, one after another while the volumes are claimed (no extend, delete or
        group change can come between); if one fails, those made are removed and the failure lands."""
        members = db.group_snapshot_members(group_snapshot.id)
        try:
            for member in members:
                self._driver.create_snapshot(member.id, volume_id=member.volume_id)
        except DriverError:
            self._remove_group_members(group_snapshot)
            raise
        return {}

    def _remove_group_members(self, group_snapshot: Any) -> dict[str, Any]:
        for member in db.group_snapshot_members(group_snapshot.id):
            self._driver.delete_snapshot(member.id, volume_id=member.volume_id)
        return {}

    def _delete_group_snapshot(self, group_snapshot: Any) -> dict[str, Any]:
        return self._remove_group_members(group_snapshot)

    # -- recovery (``operations.recovery`` reads these) --------------------------------------

    def recover(self, ctx: RequestContext, resource: str, record: Any, *, why: str) -> None:
        """Finish ``record``, left in a transient status by a service that stopped, by its recovery rule."""
        recovery.recover(self.runner, self, ctx, KINDS[resource], record, why=why)

    def redo(self, op: Operation) -> Work | None:
        return self._redo.get((op.resource, op.name))

    def undo(self, op: Operation) -> Work | None:
        return self._undo.get((op.resource, op.name))

    def wait_idle(self, *, timeout_s: float) -> bool:
        """Wait until no operation runs in this process (a clean stop); False if some still do."""
        return self.runner.wait_idle(timeout_s=timeout_s)

    def is_busy(self, resource_id: str) -> bool:
        return self.runner.is_busy(resource_id)

    # -- the active's periodic duties (``volume/reports.py``) --------------------------------

    def pool_reports(self) -> list[dict[str, Any]]:
        return self.reports.pool_reports()

    def report_pools(self) -> None:
        self.reports.report_pools()

    def heartbeat(self, role: str | None) -> None:
        self.reports.heartbeat(role)

    def ensure_exports(self) -> int:
        return self.reports.ensure_exports()
