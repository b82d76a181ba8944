"""Recovery dispatch: what a successor does with a resource a dead holder left in a transient status.

Each transient status has a rule in its kind's table (``Kind.recovery_of``): REDO runs the
operation's work again (idempotent driver calls: a request still queued then finds the work
done), FAIL lands its fail edge with a user message (after undoing what the work may have
made), SETTLE recomputes the status from elsewhere. Called by the service's recovery module,
at takeover and periodically.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any, NoReturn, Protocol

from common.context import RequestContext
from operations.kinds import Kind
from operations.operation import Operation, OperationStopped, Recovery, Work
from operations.runner import OperationRunner

log = logging.getLogger(__name__)


class Works(Protocol):
    """The service's work functions, as recovery needs them."""

    def redo(self, op: Operation) -> Work | None:
        """The work that runs ``op`` again; None when it cannot be redone (recovery fails it)."""

    def undo(self, op: Operation) -> Work | None:
        """What to take back before ``op`` is failed (what its interrupted work may have made), if anything."""


def recover(runner: OperationRunner, works: Works, ctx: RequestContext, kind: Kind, record: Any, *,
            why: str) -> None:
    """Finish ``record``, left in a transient status by a service that stopped, by its recovery rule."""
    op, rule = kind.recovery_of(record.status)
    if rule is Recovery.SETTLE:
        assert kind.settle_now is not None, f"{kind.name} has no settle rule"
        kind.settle_now(record.id)
        return
    work = works.redo(op) if rule is Recovery.REDO else None
    runner.run(ctx, op, record.id, work or _stopping(works.undo(op), why))


def _stopping(undo: Work | None, why: str) -> Work:
    def stopped(record: Any) -> NoReturn:
        if undo is not None:
            undo(record)
        raise OperationStopped(why)

    return stopped


def resume_stuck(runner: OperationRunner, works: Works, kinds: Iterable[Kind], ctx: RequestContext, *,
                 backend_host: str, older_than_s: float, why: str) -> int:
    """Recover the backend's resources of ``kinds`` (in that order) left transient for ``older_than_s``;
    returns how many it handled. One this process is running now is left alone."""
    if not runner.fence.acting():
        return 0  # a standby recovers nothing; the active will
    handled = 0
    for kind in kinds:
        for record in kind.list_stale(statuses=kind.transient, older_than_s=older_than_s, backend_host=backend_host):
            if not runner.is_busy(record.id):
                log.info("resuming %s %s left %s", kind.name, record.id, record.status)
                recover(runner, works, ctx, kind, record, why=why)
                handled += 1
    return handled
