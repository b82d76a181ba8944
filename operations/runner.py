"""The skeleton every operation runs through: act only while holding the lease, claim, work, land.

``OperationRunner.run`` acts only while the fence says this process may (``lease_acting``) and
the resource is in the operation's working status; it claims the resource (tracked work, under
the lease's epoch), calls the work (a driver call), and lands the done or fail edge of the kind's
state table in the transaction that ends the claim (``db.transition``, with the kind's effects).
A redelivered message or a replay by recovery finds the work done, or claimed, and does nothing;
a write under an epoch a takeover has passed changes nothing (Fenced) and the process stops acting.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any, Protocol

from common.context import RequestContext
from common.redact import redact
from db import api as db
from db import errors as db_errors
from db.records import WorkClaim
from drivers.errors import DriverError, TryAgain
from operations.fence import LeaseFence
from operations.kinds import Kind
from operations.locks import KeyedLocks
from operations.operation import VOLUME_VALUES, Operation, OperationStopped, Work

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """How an operation went: not run here (not the active), failed, or done."""

    acted: bool
    error: str | None = None  # why it failed (redacted): for an admin's answer, never a project's
    invalid: bool = False  # the request was at fault (a connector the storage cannot serve)


class Notices(Protocol):
    """What the project reads about a failed operation (its user message, and the status reason)."""

    def failure_text(self, op: Operation, error: Exception) -> str: ...

    def post_failure(self, op: Operation, error: Exception, *, project_id: str, resource_uuid: str,
                     request_id: str | None) -> None: ...


class OperationRunner:
    def __init__(self, *, kinds: Mapping[str, Kind], fence: LeaseFence[Any], backend_host: str, node: str,
                 notices: Notices, locks: KeyedLocks | None = None,
                 request_faults: tuple[type[Exception], ...] = (), logger: logging.Logger | None = None) -> None:
        self.kinds = kinds
        self.fence = fence
        self.locks = locks or KeyedLocks()
        self._backend_host = backend_host  # the claims' backend
        self._node = node  # the node this process runs on
        self._notices = notices
        self._request_faults = request_faults  # failures that were the request's fault
        self._log = logger or _log
        self._running: set[str] = set()
        self._running_lock = threading.Lock()

    def run(self, ctx: RequestContext, op: Operation, resource_id: str, work: Work) -> Outcome:
        """Run ``op`` on the resource; not ``acted`` only when this process may not act."""
        kind = self.kinds[op.resource]
        if kind.serialize_on is None:
            return self._run(ctx, kind, op, resource_id, work)
        record = _find(kind, resource_id)
        if record is None:
            return Outcome(acted=self.fence.acting())
        with self.locks.hold(kind.serialize_on(record)) as at_once:
            # read again only if another operation on the key ran meanwhile
            return self._run(ctx, kind, op, resource_id, work, known=record if at_once else None)

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

    def _run(self, ctx: RequestContext, kind: Kind, op: Operation, resource_id: str, work: Work, *,
             known: Any | None = None) -> Outcome:
        lease = self.fence.lease_acting()
        if lease is None:
            return Outcome(acted=False)
        record = known if known is not None else _find(kind, resource_id)
        if record is None or record.status != op.working:
            return Outcome(acted=True)  # done already, or changed by a request since: nothing to do
        with self._exclusive(resource_id) as mine:
            if not mine:
                return Outcome(acted=True)
            try:
                claim = db.work_claim(resource_type=op.resource, resource_id=resource_id, operation=op.name,
                                      working_status=op.working, backend_host=self._backend_host,
                                      node=self._node, epoch=lease.epoch)
            except db_errors.Fenced as error:
                self.fence.fenced(error)
                return Outcome(acted=False)
            if claim is None:
                return Outcome(acted=True)
            return self._work(ctx, kind, op, record, claim, work)

    def _work(self, ctx: RequestContext, kind: Kind, op: Operation, record: Any, claim: WorkClaim,
              work: Work) -> Outcome:
        try:
            values = work(record)
        except db_errors.Fenced as error:  # a takeover passed our epoch mid-way: the successor recovers it
            self.fence.fenced(error)
            return Outcome(acted=False)
        except TryAgain as error:
            self._log.warning("%s %s: %s did not finish (%s); it is tried again later", op.resource, record.id,
                              op.name, error)
            self._hand_back(claim)
            return Outcome(acted=True)
        except (DriverError, db_errors.NotFound, OperationStopped) as error:
            self._log.warning("%s %s: %s failed: %s", op.resource, record.id, op.name, error)
            return self._land_failure(ctx, kind, op, record, claim, error)
        # a driver bug must fail the operation, not leave its claim held forever
        except Exception as error:  # noqa: BLE001 - logged with its traceback
            self._log.exception("%s %s: %s failed unexpectedly", op.resource, record.id, op.name)
            return self._land_failure(ctx, kind, op, record, claim, DriverError(f"unexpected {type(error).__name__}"))
        self._land(kind, op, record, claim, values)
        return Outcome(acted=True)

    def _hand_back(self, claim: WorkClaim) -> None:
        """End the claim without landing: the resource stays in its working status for recovery."""
        try:
            db.work_release(claim)
        except db_errors.Fenced as error:
            self.fence.fenced(error)

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

    def _land(self, kind: Kind, op: Operation, record: Any, claim: WorkClaim, values: Mapping[str, Any]) -> None:
        edge = kind.edge(op.done)
        own = dict(values)
        on_volume = own.pop(VOLUME_VALUES, {})
        effects = (kind.destroy if op.done in kind.destroyed_by
                   else replace(kind.done, values={**kind.done.values, **own}))
        if on_volume:
            effects = replace(effects, volume_values=on_volume)
        try:
            landed = db.transition(kind.name, record.id, edge, guard=db.Guard(claim=claim), effects=effects,
                                    read_back=False)
        except db_errors.ClaimLost as lost:
            self._log.warning("%s %s: %s; the driver's work stays for recovery", op.resource, record.id, lost)
            return
        except db_errors.Fenced as error:
            self.fence.fenced(error)
            return
        if landed is not None:
            self._log.info("%s %s: %s -> %s", op.resource, record.id, op.working, edge[1])

    def _land_failure(self, ctx: RequestContext, kind: Kind, op: Operation, record: Any, claim: WorkClaim,
                      error: Exception) -> Outcome:
        # the project reads what failed, in Cinder's words; the error's text (a host, a command line) is
        # only in the log line _work wrote under the request id, and in the api's answer to an admin
        outcome = Outcome(acted=True, error=redact(str(error)), invalid=isinstance(error, self._request_faults))
        edge = kind.edge(op.fail)
        effects = replace(kind.fail, values={**kind.fail.values, **dict(op.fail_values)})
        if kind.reason_on_fail:
            effects = replace(effects, values={**effects.values,
                                               "status_reason": self._notices.failure_text(op, error)})
        try:
            landed = db.transition(kind.name, record.id, edge, guard=db.Guard(claim=claim), effects=effects,
                                    read_back=False)
        except db_errors.ClaimLost as lost:
            self._log.warning("%s %s: %s", op.resource, record.id, lost)
            return outcome
        except db_errors.Fenced as fenced:
            self.fence.fenced(fenced)
            return outcome
        if landed is not None:
            self._log.info("%s %s: %s -> %s", op.resource, record.id, op.working, edge[1])
            self._notices.post_failure(op, error, project_id=record.project_id, resource_uuid=kind.about(record),
                                       request_id=ctx.request_id)
        return outcome


def _find(kind: Kind, resource_id: str) -> Any | None:
    try:
        return kind.get(resource_id)
    except db_errors.NotFound:
        return None
