"""The volume manager: runs each operation on one backend, in order, and lands its status.

It is the only caller of both the driver and the state transitions on the volume side. Every
operation goes through one skeleton, ``_run``, driven by ``states.OPERATIONS``: it acts only
while this process holds the backend's lease (``acting``) and the resource is in the
operation's working status; it claims the resource (tracked work, under the lease's epoch),
calls the driver, and lands the done or fail edge in the transaction that ends the claim. A
redelivered message or a replay by recovery finds the work done, or claimed, and does nothing;
a write under an epoch a takeover has passed changes nothing (Fenced) and this process stops acting.
Attachments' connect and disconnect run through the same skeleton, under a per-volume lock
(``volume/connections.py``), and answer the api's RPC call with an ``Outcome``.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from common.context import RequestContext
from common.redact import redact
from db import api as db
from db import errors as db_errors
from db.records import Attachment, Snapshot, Volume, WorkClaim
from drivers.base import VolumeDriver
from drivers.errors import DriverError, InvalidConnector, TryAgain
from volume import messages
from volume.client import BINARY
from volume.connections import SETTLE_RULE, Connections
from volume.election import Lease
from volume.states import (
    OPERATIONS,
    Operation,
    Recovery,
    SnapshotStatus,
    edge_of,
    recovery_of,
    snapshot_edge,
)

log = logging.getLogger(__name__)

TOPIC = "ember-volume"

Record = Volume | Snapshot | Attachment
# a driver call for one resource; what it returns is landed with the done edge
Work = Callable[[Any], dict[str, Any]]


class OperationStopped(Exception):
    """Raised by a work function that must not run: the operation lands its fail edge."""


@dataclass(frozen=True)
class BackendIdentity:
    backend_host: str           # host@backend: the RPC server name and the pools' prefix
    backend_name: str           # volume_backend_name, matched against extra specs
    availability_zone: str
    reserved_percentage: int
    max_over_subscription_ratio: float
    service_host: str           # the node this process runs on


class VolumeManager:
    def __init__(self, *, driver: VolumeDriver, identity: BackendIdentity) -> None:
        self._driver = driver
        self.identity = identity
        self.lease: Lease | None = None  # set by the backend's supervisor while this process is the active
        self._last_epoch: int | None = None
        self._running: set[str] = set()
        self._running_lock = threading.Lock()
        # attachment id -> why its last operation failed, and whether the request was at fault (RPC answers)
        self._failures: dict[str, tuple[str, bool]] = {}
        self.connections = Connections(driver, backend_host=identity.backend_host, epoch=self._epoch)

    def _epoch(self) -> int:
        lease = self.lease
        if lease is None or not lease.valid():
            raise db_errors.Fenced(self.identity.backend_host, -1)
        return lease.epoch

    def acting(self) -> bool:
        lease = self.lease
        return lease is not None and lease.valid()

    def _fenced(self, error: db_errors.Fenced) -> None:
        log.warning("%s: %s; acting no more", self.identity.backend_host, error)
        self.lease = None

    # -- the operations, one table row and one driver call each ---------------------------

    def create_volume(self, ctx: RequestContext, volume_id: str) -> bool:
        return self._run(ctx, OPERATIONS["volume", "create"], volume_id, self._create)

    def extend_volume(self, ctx: RequestContext, volume_id: str, new_size_gb: int) -> bool:
        return self._run(ctx, OPERATIONS["volume", "extend"], volume_id, functools.partial(self._extend, new_size_gb))

    def delete_volume(self, ctx: RequestContext, volume_id: str) -> bool:
        return self._run(ctx, OPERATIONS["volume", "delete"], volume_id, self._delete)

    def create_snapshot(self, ctx: RequestContext, snapshot_id: str) -> bool:
        return self._run(ctx, OPERATIONS["snapshot", "create"], snapshot_id, self._create_snapshot)

    def delete_snapshot(self, ctx: RequestContext, snapshot_id: str) -> bool:
        return self._run(ctx, OPERATIONS["snapshot", "delete"], snapshot_id, self._delete_snapshot)

    # -- attachments: answered to the api's RPC call, so they say how they went

    def connect_attachment(self, ctx: RequestContext, attachment_id: str) -> Outcome:
        """Export the volume to the attachment's connector and hand out its connection_info."""
        return self._attachment_op(ctx, "connect", attachment_id, self.connections.connect)

    def disconnect_attachment(self, ctx: RequestContext, attachment_id: str) -> Outcome:
        """End the attachment's connection (and the export with the last one) and delete it."""
        return self._attachment_op(ctx, "disconnect", attachment_id, self.connections.disconnect)

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

    def _attachment_op(self, ctx: RequestContext, name: str, attachment_id: str, work: Work) -> Outcome:
        attachment = _get("attachment", attachment_id)
        if attachment is None:
            return Outcome(acted=self.acting())
        assert isinstance(attachment, Attachment)
        # one connection change per volume at a time: whether an export is the last one is then certain
        with self.connections.volume_lock(attachment.volume_id):
            acted = self._run(ctx, OPERATIONS["attachment", name], attachment_id, work)
        error, invalid = self._failures.pop(attachment_id, (None, False))
        return Outcome(acted=acted, error=error, invalid=invalid)

    def _create(self, volume: Volume) -> dict[str, Any]:
        pool = (volume.host.partition("#")[2] or None) if volume.host else None
        if volume.snapshot_id:
            snapshot = db.snapshot_get(volume.snapshot_id)
            self._driver.create_volume_from_snapshot(volume.id, volume.size_gb, snapshot_id=snapshot.id,
                                                     source_volume_id=snapshot.volume_id, pool=pool)
        elif volume.source_volid:
            self._driver.clone_volume(volume.id, volume.size_gb, source_volume_id=volume.source_volid, pool=pool)
        else:
            self._driver.create_volume(volume.id, volume.size_gb, pool=pool)
        return {}

    def _extend(self, asked_gb: int, volume: Volume) -> dict[str, Any]:
        size_gb = volume.target_size_gb or asked_gb  # the row's target is what the quota reserved
        self._driver.extend_volume(volume.id, size_gb)
        return {"size_gb": size_gb, "target_size_gb": None}

    def _delete(self, volume: Volume) -> dict[str, Any]:
        # a cascade delete: the api marked the volume's snapshots deleting along with it (a plain delete
        # needs a volume without snapshots), so they go first, one by one, then the volume
        for snapshot in db.snapshot_list(project_id=None, filters={"volume_id": volume.id,
                                                                   "status": SnapshotStatus.DELETING}):
            self._driver.delete_snapshot(snapshot.id, volume_id=volume.id)
            db.snapshot_destroy(snapshot.id, snapshot_edge("delete.done"))
            log.info("snapshot %s: deleted with its volume %s (cascade)", snapshot.id, volume.id)
        self._driver.delete_volume(volume.id)
        return {}

    def _create_snapshot(self, snapshot: Snapshot) -> dict[str, Any]:
        self._driver.create_snapshot(snapshot.id, volume_id=snapshot.volume_id)
        return {"progress": "100%"}

    def _delete_snapshot(self, snapshot: Snapshot) -> dict[str, Any]:
        self._driver.delete_snapshot(snapshot.id, volume_id=snapshot.volume_id)
        return {}

    # -- recovery ----------------------------------------------------------------------

    def recover(self, ctx: RequestContext, resource: str, record: Record, *, why: str) -> None:
        """Finish ``record``, left in a transient status by a service that stopped, by its recovery rule."""
        op, rule = recovery_of(resource, record.status)
        if rule is Recovery.SETTLE:  # attaching/detaching: its attachments (recovered on their own) say
            db.volume_settle(record.id, SETTLE_RULE)
            return
        if resource == "attachment":
            assert isinstance(record, Attachment)
            self._recover_attachment(ctx, op, rule, record, why)
            return
        work = self._work_of(op)
        if rule is Recovery.REDO and work is not None and not _extend_without_target(op, record):
            self._run(ctx, op, record.id, work)
            return

        def stopped(_: Record) -> dict[str, Any]:
            raise OperationStopped(why)

        self._run(ctx, op, record.id, stopped)

    def _recover_attachment(self, ctx: RequestContext, op: Operation, rule: Recovery, attachment: Attachment,
                            why: str) -> None:
        def abandon(record: Attachment) -> dict[str, Any]:
            # what the interrupted connect may have made: the connector's access, an export nobody holds
            self.connections.disconnect(record)
            raise OperationStopped(why)

        work: Work = self.connections.disconnect if rule is Recovery.REDO else abandon
        with self.connections.volume_lock(attachment.volume_id):
            self._run(ctx, op, attachment.id, work)
        self._failures.pop(attachment.id, None)

    def _work_of(self, op: Operation) -> Work | None:
        works: dict[tuple[str, str], Work] = {
            ("volume", "create"): self._create, ("volume", "delete"): self._delete,
            ("volume", "extend"): functools.partial(self._extend, 0),
            ("snapshot", "create"): self._create_snapshot, ("snapshot", "delete"): self._delete_snapshot}
        return works.get((op.resource, op.name))

    def wait_idle(self, *, timeout_s: float) -> bool:
        """Wait until no operation runs in this process (a clean stop); False if some still do."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self._running_lock:
                if not self._running:
                    return True
            time.sleep(0.02)
        return False

    def is_busy(self, resource_id: str) -> bool:
        with self._running_lock:
            return resource_id in self._running

    # -- the skeleton --------------------------------------------------------------------

    def _run(self, ctx: RequestContext, op: Operation, resource_id: str, work: Work) -> bool:
        """Run ``op`` on the resource; False only when this process is not the backend's active."""
        lease = self.lease
        if lease is None or not lease.valid():
            return False
        record = _get(op.resource, resource_id)
        if record is None or record.status != op.working:
            return True  # done already, or changed by a request since: nothing to do
        with self._exclusive(resource_id) as mine:
            if not mine:
                return True
            try:
                claim = db.work_claim(resource_type=op.resource, resource_id=resource_id, operation=op.name,
                                      working_status=op.working, backend_host=self.identity.backend_host,
                                      node=self.identity.service_host, epoch=lease.epoch)
            except db_errors.Fenced as error:
                self._fenced(error)
                return False
            if claim is None:
                return True
            try:
                values = work(record)
            except db_errors.Fenced as error:  # a takeover passed our epoch mid-way: the successor recovers it
                self._fenced(error)
                return False
            except TryAgain as error:
                log.warning("%s %s: %s did not finish (%s); it is tried again later", op.resource, resource_id,
                            op.name, error)
                self._hand_back(claim)
                return True
            except (DriverError, db_errors.NotFound, OperationStopped) as error:
                log.warning("%s %s: %s failed: %s", op.resource, resource_id, op.name, error)
                self._land_failure(ctx, op, record, claim, error)
                return True
            except Exception as error:  # a driver bug must fail the operation, not leave its claim held forever
                log.exception("%s %s: %s failed unexpectedly", op.resource, resource_id, op.name)
                self._land_failure(ctx, op, record, claim, DriverError(f"unexpected {type(error).__name__}"))
                return True
            self._land(op, record, claim, values)
            return True

    def _hand_back(self, claim: WorkClaim) -> None:
        """End the claim without landing: the resource stays in its working status for recovery."""
        try:
            db.work_release(claim)
        except db_errors.Fenced as error:
            self._fenced(error)

    @contextmanager
    def _exclusive(self, resource_id: str) -> Iterator[bool]:
        """Yield False if this process already runs an operation on the resource."""
        with self._running_lock:
            if resource_id in self._running:
                yield False
                return
            self._running.add(resource_id)
        try:
            yield True
        finally:
            with self._running_lock:
                self._running.discard(resource_id)

    def _land(self, op: Operation, record: Record, claim: WorkClaim, values: dict[str, Any]) -> None:
        edge = edge_of(op.resource, op.done)
        try:
            if op.done in _DESTROYING:
                landed = _DESTROY[op.resource](record.id, edge, claim=claim) is not None
            else:
                extra = {"status_reason": None, "settle": SETTLE_RULE} if op.resource == "volume" else {}
                landed = _TRANSITION[op.resource](record.id, edge, claim=claim, **extra, **values) is not None
        except db_errors.ClaimLost as lost:
            log.warning("%s %s: %s; the driver's work stays for recovery", op.resource, record.id, lost)
            return
        except db_errors.Fenced as error:
            self._fenced(error)
            return
        if landed:
            log.info("%s %s: %s -> %s", op.resource, record.id, op.working, edge[1])

    def _land_failure(self, ctx: RequestContext, op: Operation, record: Record, claim: WorkClaim,
                      error: Exception) -> None:
        # the project reads what failed, in Cinder's words; the error's text (a host, a command line) is
        # only in the log line _run wrote under the request id, and in the api's answer to an admin
        message = (messages.stopped(op.resource, op.name) if isinstance(error, OperationStopped)
                   else messages.failed(op.resource, op.name, error))
        if op.resource == "attachment":
            self._failures[record.id] = (redact(str(error)), isinstance(error, InvalidConnector))
        fail_edge = edge_of(op.resource, op.fail)
        extra: dict[str, Any] = {"status_reason": message.text}
        if op.resource == "volume":
            extra.update(release_pending=True, settle=SETTLE_RULE)
        elif op.resource == "attachment":
            extra = {}
        try:
            landed = _TRANSITION[op.resource](record.id, fail_edge, claim=claim, **extra)
        except db_errors.ClaimLost as lost:
            log.warning("%s %s: %s", op.resource, record.id, lost)
            return
        except db_errors.Fenced as fenced:
            self._fenced(fenced)
            return
        if landed is not None:
            log.info("%s %s: %s -> %s", op.resource, record.id, op.working, fail_edge[1])
            about = record.volume_id if isinstance(record, Attachment) else record.id
            messages.post(message, project_id=record.project_id, resource_uuid=about, request_id=ctx.request_id)

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

    def heartbeat(self, role: str | None) -> None:
        """This process's row: alive, its HA role, and the epoch it holds (or the backend's, last seen)."""
        ident = self.identity
        lease = self.lease
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
        if not self.acting():
            return 0
        volumes = db.volume_exports(self.identity.backend_host)
        for volume in volumes:
            try:
                with self.connections.volume_lock(volume.id):
                    self.connections.ensure(volume.id)
            except (DriverError, db_errors.NotFound) as error:
                log.warning("volume %s: its export cannot be re-created: %s", volume.id, error)
            except db_errors.Fenced as error:
                self._fenced(error)
                break
        return len(volumes)

    def report_pools(self) -> None:
        """The active stores the pools in the DB (schedulers read them from there), under its epoch."""
        lease = self.lease
        if lease is None or not lease.valid():
            return
        try:
            db.pool_report(self.identity.backend_host, self.pool_reports(), epoch=lease.epoch)
        except db_errors.Fenced as error:
            self._fenced(error)


@dataclass(frozen=True)
class Outcome:
    """How an operation the api waits for went: not run here (not the active), failed, or done."""

    acted: bool
    error: str | None = None
    invalid: bool = False  # the request was at fault (a connector the storage cannot serve)


_TRANSITION: dict[str, Callable[..., Any]] = {
    "volume": db.volume_transition, "snapshot": db.snapshot_transition,
    "attachment": functools.partial(db.attachment_transition, rule=SETTLE_RULE)}
_DESTROY: dict[str, Callable[..., Any]] = {
    "volume": db.volume_destroy, "snapshot": db.snapshot_destroy,
    "attachment": functools.partial(db.attachment_transition, rule=SETTLE_RULE, destroy=True)}
_DESTROYING = frozenset({"delete.done", "disconnect.done"})
_GET: dict[str, Callable[[str], Record]] = {"volume": db.volume_get, "snapshot": db.snapshot_get,
                                            "attachment": db.attachment_get}


def _get(resource: str, resource_id: str) -> Record | None:
    try:
        return _GET[resource](resource_id)
    except db_errors.NotFound:
        return None


def _extend_without_target(op: Operation, record: Record) -> bool:
    """An extend whose row kept no target size (from before targets were kept) cannot be redone."""
    return op.name == "extend" and isinstance(record, Volume) and not record.target_size_gb
