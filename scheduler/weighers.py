"""Pool weighers: order the pools that passed the filters, best first."""

from __future__ import annotations

from db.records import Pool
from scheduler.filters import usable_capacity_gb


def free_capacity_gb(pool: Pool) -> float:
    """Room left for new volumes as the claims count it (virtual capacity for thin pools)."""
    return usable_capacity_gb(pool) - pool.allocated_capacity_gb


def capacity_weigher(pools: list[Pool]) -> list[Pool]:
    """Most free capacity first, which spreads volumes across pools (Cinder's default)."""
    return sorted(pools, key=lambda pool: (-free_capacity_gb(pool), pool.name))
