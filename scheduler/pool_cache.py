"""A scheduler's copy of the pools: read from the DB, refreshed by capability fanouts.

A cache, never a truth: capacity is claimed in the DB, and a restarted scheduler reads
the pools from the DB at once instead of waiting for the next report.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

from db import api as db
from db.records import Pool

# what a capability report may change on a cached pool; the claimed capacity is the DB's
_REPORTED = frozenset(f.name for f in dataclasses.fields(Pool)) - {"name", "allocated_capacity_gb"}


class PoolCache:
    def __init__(self, *, ttl_s: float, fresh_within_s: float) -> None:
        self._ttl_s = ttl_s
        self._fresh_within_s = fresh_within_s
        self._pools: dict[str, Pool] = {}
        self._loaded_at = 0.0
        self._lock = threading.Lock()

    def pools(self, *, refresh: bool = False) -> list[Pool]:
        with self._lock:
            if refresh or time.monotonic() - self._loaded_at > self._ttl_s:
                self._pools = {p.name: p for p in db.pool_list(fresh_within_s=self._fresh_within_s)}
                self._loaded_at = time.monotonic()
            return list(self._pools.values())

    def update(self, backend_host: str, reports: Sequence[Mapping[str, Any]]) -> None:
        """Apply a fanout report; the claimed capacity stays what this cache last read or claimed."""
        with self._lock:
            for report in reports:
                known = self._pools.get(report["name"])
                if known is None:
                    self._loaded_at = 0.0  # a new pool: read it (with its claims) from the DB next time
                    continue
                changes = {k: v for k, v in report.items() if k in _REPORTED}
                self._pools[known.name] = dataclasses.replace(known, backend_host=backend_host, **changes)

    def claimed(self, pool_name: str, size_gb: float) -> None:
        with self._lock:
            known = self._pools.get(pool_name)
            if known is not None:
                self._pools[pool_name] = dataclasses.replace(
                    known, allocated_capacity_gb=known.allocated_capacity_gb + size_gb)
