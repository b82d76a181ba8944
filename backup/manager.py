"""The backup manager: backup create, restore and delete, each through the operation skeleton.

Any number of ember-backup services compete for the work through the database (``db.backup_take``): a
waiting backup has no ``host``; a service with a free slot (``backup_max_operations``) takes it with one
compare-and-swap, then claims and lands it like any operation (``operations.runner``) under the epoch of
its own lease (``backup.lease``). A peer whose lease ran out is fenced by a live service, which adopts its
unfinished backups and redoes them (``BACKUP_RECOVERY``: every operation is idempotent).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from backup.engine.create import BackupSettings, create_backup
from backup.engine.delete import delete_backup
from backup.engine.errors import BackupCancelled, BackupError
from backup.engine.restore import load_metadata, restore_backup
from backup.kinds import BACKUP, KINDS
from backup.messages import BackupNotices
from backup.stores.base import BackupStore
from backup.volume_access import VolumeAccess
from backup.volumes.opener import open_reader, open_writer
from common.context import RequestContext, bound_request_id
from db import api as db
from db import errors as db_errors
from drivers.errors import DriverError
from operations import recovery
from operations.fence import LeaseFence
from operations.operation import Operation, OperationStopped, Work
from operations.runner import OperationRunner
from volume.election import Lease
from volume.states.backups import BACKUP_OPERATIONS, BackupStatus
from volume.states.volumes import Status, edge

log = logging.getLogger(__name__)

LEASE_PREFIX = "backup:"


class BackupFailed(DriverError):
    """The engine's error, as the operation skeleton lands it (the cause keeps the engine's own)."""


class BackupManager:
    def __init__(self, *, node: str, store: BackupStore, settings: BackupSettings, max_operations: int,
                 access: VolumeAccess) -> None:
        self.node = node
        self.name = f"{LEASE_PREFIX}{node}"  # its lease, its claims' backend_host, the host of what it holds
        self.fence: LeaseFence[Lease] = LeaseFence(self.name, logger=log)
        self.runner = OperationRunner(kinds=KINDS, fence=self.fence, backend_host=self.name, node=node,
                                      notices=BackupNotices(), logger=log)
        self._store = store
        self._settings = settings
        self._access = access
        self._max = max_operations
        self._pool = ThreadPoolExecutor(max_operations, thread_name_prefix="backup-op")
        self._running: dict[str, threading.Event] = {}  # backup id -> its cancel event
        self._lock = threading.Lock()
        self._stopping = False
        self._works: dict[str, Work] = {"create": self._create, "restore": self._restore, "delete": self._delete}

    # -- finding work --------------------------------------------------------------------------------

    def poll(self) -> int:
        """Start what this service holds and does not run yet, then take waiting work while slots are free;
        returns how many operations it started."""
        if not self.fence.acting():
            return 0
        started = 0
        for record in db.backup_list_stale(statuses=BACKUP.transient, older_than_s=0, backend_host=self.name,
                                           limit=self._max):
            started += self._start(record, why="the backup service that ran it stopped")
        free = self._free()
        if free > 0:
            for record in db.backup_take(statuses=BACKUP.transient, host=self.name, limit=free):
                started += self._start(record, why="")
        return started

    def _free(self) -> int:
        with self._lock:
            return self._max - len(self._running)

    def _start(self, record: Any, *, why: str) -> int:
        with self._lock:
            if record.id in self._running or len(self._running) >= self._max:
                return 0
            self._running[record.id] = threading.Event()
        self._pool.submit(self._run, record, why)
        return 1

    def _run(self, record: Any, why: str) -> None:
        ctx = RequestContext(user_id=record.user_id, project_id=record.project_id)
        try:
            with bound_request_id(ctx.request_id):
                if why:
                    recovery.recover(self.runner, self, ctx, BACKUP, record, why=why)
                else:
                    op, _ = BACKUP.recovery_of(record.status)
                    self.runner.run(ctx, op, record.id, self._works[op.name])
        except Exception:
            log.exception("backup %s: its operation ended unexpectedly", record.id)
        finally:
            with self._lock:
                self._running.pop(record.id, None)

    def adopt_dead_peers(self, *, lease_ttl_s: float) -> int:
        """Fence every peer whose lease ran out and that holds unfinished backups, and take those over."""
        if not self.fence.acting():
            return 0
        adopted = 0
        for dead in db.backup_hosts_expired(LEASE_PREFIX):
            if dead == self.name or not db.backup_list_stale(statuses=BACKUP.transient, older_than_s=0,
                                                              backend_host=dead, limit=1):
                continue
            epoch = db.backend_lease_claim(dead, node=self.node, ttl_s=lease_ttl_s)  # advances its epoch
            if epoch is None:
                continue  # it came back, or a peer is taking it over
            try:
                count = db.backup_adopt(from_host=dead, to_host=self.name, statuses=BACKUP.transient)
                log.warning("%s: lease of %s ran out; took over its %d unfinished backups", self.name, dead, count)
                adopted += count
            finally:
                db.backend_lease_release(dead, node=self.node, epoch=epoch)
        return adopted

    def running(self) -> list[str]:
        with self._lock:
            return sorted(self._running)

    def stop(self, *, timeout_s: float = 10) -> None:
        """Stop running operations: each lands nothing and stays this service's, for a peer to redo once
        this service gives its lease up (after them, so that nothing of theirs is written meanwhile)."""
        self._stopping = True
        with self._lock:
            for cancel in self._running.values():
                cancel.set()
        self._pool.shutdown(wait=False, cancel_futures=True)
        deadline = time.monotonic() + timeout_s
        while self.running() and time.monotonic() < deadline:
            time.sleep(0.05)

    # -- recovery (``operations.recovery`` reads these) ------------------------------------------------

    def redo(self, op: Operation) -> Work | None:
        return self._works.get(op.name)

    def undo(self, op: Operation) -> Work | None:
        return None

    # -- the work --------------------------------------------------------------------------------------

    def _progress(self, backup_id: str) -> Callable[[int, int], None]:
        cancel = self._running.get(backup_id) or threading.Event()
        last = [-1]

        def note(done: int, total: int) -> None:
            percent = min(99, done * 100 // total) if total else 0
            if percent != last[0]:
                last[0] = percent
                # a service that lost its lease, or the backup, stops: what it wrote is redone by the new holder
                if not self.fence.acting() or not db.backup_note(backup_id, host=self.name, progress=percent):
                    cancel.set()

        return note

    def _cancel(self, backup_id: str) -> threading.Event:
        return self._running.get(backup_id) or threading.Event()

    def _engine(self, backup_id: str, run: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        try:
            return run()
        except BackupCancelled as error:
            if self._stopping or not self.fence.acting():  # a stop or a takeover: the successor lands it
                raise db_errors.Fenced(self.name, -1) from error
            raise OperationStopped("the operation was cancelled") from error
        except BackupError as error:
            raise BackupFailed(str(error)) from error

    def _create(self, backup: Any) -> dict[str, Any]:
        ctx = RequestContext(user_id=backup.user_id, project_id=backup.project_id)
        if backup.temp_snapshot_id:  # a predecessor's attempt: start again from nothing
            self._access.remove_snapshot(ctx, backup.temp_snapshot_id)
        self._engine(backup.id, lambda: {"objects": delete_backup(self._store, backup.id)})
        volume = db.volume_get(backup.volume_id)
        snapshot_id = backup.snapshot_id
        temp: str | None = None
        try:
            if snapshot_id is None and db.attachments_of([volume.id]):
                snapshot_id = temp = self._access.take_snapshot(ctx, volume, backup_id=backup.id, host=self.name)
            location, fmt = self._access.location(ctx, volume, snapshot_id)

            def run() -> dict[str, Any]:
                parent = load_metadata(self._store, backup.parent_id) if backup.parent_id else None
                reader = open_reader(location, fmt=fmt)
                try:
                    metadata = create_backup(reader, self._store, backup_id=backup.id, parent=parent,
                                             settings=self._settings, progress=self._progress(backup.id),
                                             cancel=self._cancel(backup.id))
                finally:
                    reader.close()
                return {"object_count": metadata.new_chunks, "stored_bytes": metadata.stored_bytes, "progress": 100}

            return self._engine(backup.id, run)
        finally:
            if temp is not None:
                self._access.remove_snapshot(ctx, temp)

    def _restore(self, backup: Any) -> dict[str, Any]:
        ctx = RequestContext(user_id=backup.user_id, project_id=backup.project_id)
        if not backup.restore_volume_id:
            raise OperationStopped("the restore has no target volume")
        volume = self._access.wait_volume(backup.restore_volume_id, leaving=str(Status.CREATING))
        if volume.status == Status.AVAILABLE:  # a new volume, created for the restore
            db.volume_transition(volume.id, edge("restore.begin"), expected_version=volume.version)
            volume = db.volume_get(volume.id)
        if volume.status != Status.RESTORING_BACKUP:
            raise OperationStopped(f"the target volume is {volume.status}")
        location, fmt = self._access.location(ctx, volume)
        workers, depth = self._settings.threads()

        def run() -> dict[str, Any]:
            writer = open_writer(location, fmt=fmt)
            try:
                restore_backup(self._store, backup.id, writer, workers=workers, depth=depth,
                               cancel=self._cancel(backup.id), progress=self._progress(backup.id))
            finally:
                writer.close()
            return {"progress": 100}

        return self._engine(backup.id, run)

    def _delete(self, backup: Any) -> dict[str, Any]:
        if db.backup_children(backup.id):
            raise OperationStopped("incremental backups depend on it")
        self._engine(backup.id, lambda: {"objects": delete_backup(self._store, backup.id)})
        return {}


__all__ = ["BACKUP_OPERATIONS", "BackupManager", "BackupStatus"]
