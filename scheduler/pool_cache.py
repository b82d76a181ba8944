"""A scheduler's copy of the pools, read from the DB at most every ``scheduler_pool_cache_s``.

A cache, never a truth: capacity is claimed in the DB, and a restarted scheduler reads
the pools from the DB at once instead of waiting for the next report.
"""

from __future__ import annotations

import dataclasses
import threading
import time

from db import api as db
from db.records import Pool
from volume.client import BINARY as VOLUME_BINARY


class PoolCache:
    def __init__(self, *, ttl_s: float, fresh_within_s: float) -> None:
        self._ttl_s = ttl_s
        self._fresh_within_s = fresh_within_s
        self._pools: dict[str, Pool] = {}
        self._closed: dict[str, str] = {}
        self._loaded_at = 0.0
        self._lock = threading.Lock()

    def pools(self, *, refresh: bool = False) -> tuple[list[Pool], dict[str, str]]:
        """The fresh pools, and backend host -> why it takes no new volumes (disabled, frozen)."""
        with self._lock:
            if refresh or time.monotonic() - self._loaded_at > self._ttl_s:
                self._pools = {p.name: p for p in db.pool_list(fresh_within_s=self._fresh_within_s)}
                self._closed = db.service_hosts_closed(VOLUME_BINARY, {p.backend_host for p in self._pools.values()})
                self._loaded_at = time.monotonic()
            return list(self._pools.values()), dict(self._closed)

    def claimed(self, pool_name: str, size_gb: float) -> None:
        with self._lock:
            known = self._pools.get(pool_name)
            if known is not None:
                self._pools[pool_name] = dataclasses.replace(
                    known, allocated_capacity_gb=known.allocated_capacity_gb + size_gb)
