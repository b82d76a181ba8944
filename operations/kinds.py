"""What the operation skeleton knows of a resource kind: how to get it, its transitions, its landing.

A service declares one ``Kind`` per resource it runs operations on, beside its state table (whose
``Operation`` values, ``operations.operation``, name the kind). The skeleton reads the record; it
never asks which kind a resource is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from operator import attrgetter
from typing import Any, Protocol

from db.api.transitions import Effects
from operations.operation import Edge, Operation, Recovery

NOTHING_MORE = Effects()
DESTROY = Effects(destroy=True)


class StaleLister(Protocol):
    def __call__(self, *, statuses: frozenset[str], older_than_s: float, backend_host: str) -> list[Any]: ...


@dataclass(frozen=True)
class Kind:
    """One resource kind: how to get it, its transitions, how its operations land and recover."""

    name: str  # the tracked work's resource_type and ``db.transition``'s kind
    get: Callable[[str], Any]  # the record (a ``db.records`` value); db NotFound once it is gone
    edge: Callable[[str], Edge]  # event -> (sources, target) in the kind's state table
    recovery_of: Callable[[str], tuple[Operation, Recovery]]  # a transient status -> its operation and rule
    transient: frozenset[str]  # the statuses recovery looks for
    list_stale: StaleLister  # records of a backend left in one of those statuses for a while
    done: Effects = NOTHING_MORE  # what rides with a done landing (the work's values are added)
    fail: Effects = NOTHING_MORE  # what rides with a fail landing
    destroy: Effects = DESTROY  # the done landing of an operation that removes the resource
    destroyed_by: frozenset[str] = frozenset()  # the done events that remove it
    reason_on_fail: bool = True  # a failed landing keeps the user message as the status_reason
    about: Callable[[Any], str] = attrgetter("id")  # the resource a user message is about
    # operations on resources sharing this key run one at a time in the process (None: no lock)
    serialize_on: Callable[[Any], str] | None = None
    settle_now: Callable[[str], None] | None = None  # Recovery.SETTLE: recompute the status from elsewhere
