"""Who may act: the one place that says whether this process holds its lease, and under which epoch.

A process acts only while its lease is valid; its claims and landings carry the lease's epoch,
and a write under an epoch a takeover has passed raises Fenced: the process then stops acting
(``fenced``) and its successor recovers the work. Set by the service's supervisor (``lease``).
"""

from __future__ import annotations

import logging
from typing import Generic, Protocol, TypeVar

from db import errors as db_errors

log = logging.getLogger(__name__)


class EpochLease(Protocol):
    @property
    def epoch(self) -> int: ...

    def valid(self) -> bool: ...


L = TypeVar("L", bound=EpochLease)


class LeaseFence(Generic[L]):
    def __init__(self, owner: str, *, logger: logging.Logger | None = None) -> None:
        self._owner = owner  # what the lease is for (a backend's host@backend), for the log
        self._log = logger or log
        self.lease: L | None = None

    def lease_acting(self) -> L | None:
        """The lease, while it is valid; None when this process must not act."""
        lease = self.lease
        return lease if lease is not None and lease.valid() else None

    def acting(self) -> bool:
        return self.lease_acting() is not None

    def epoch(self) -> int:
        """The epoch to write under; Fenced when this process no longer acts."""
        lease = self.lease_acting()
        if lease is None:
            raise db_errors.Fenced(self._owner, -1)
        return lease.epoch

    def fenced(self, error: db_errors.Fenced) -> None:
        self._log.warning("%s: %s; acting no more", self._owner, error)
        self.lease = None
