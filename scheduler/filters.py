"""Backend filters: which pools can take a request. Pure functions over pool records."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from common.capabilities import satisfies
from db.records import Pool


@dataclass(frozen=True)
class RequestSpec:
    size_gb: int
    availability_zone: str | None
    extra_specs: Mapping[str, str] = field(default_factory=dict)
    # create from a snapshot or a volume: the copy must land where its source is
    source_pool: str | None = None
    # a volume of a group: the group's backend (host@backend), once its first volume set it
    backend_host: str | None = None


def availability_zone_filter(pool: Pool, spec: RequestSpec) -> bool:
    return spec.availability_zone is None or pool.availability_zone == spec.availability_zone


def usable_capacity_gb(pool: Pool) -> float:
    """What the pool may hold: total less the reserve, times the ratio if thin (as the DB claim)."""
    usable = pool.total_capacity_gb * (1 - pool.reserved_percentage / 100.0)
    return usable * (pool.max_over_subscription_ratio if pool.thin_provisioning_support else 1.0)


def capacity_filter(pool: Pool, spec: RequestSpec) -> bool:
    if pool.allocated_capacity_gb + spec.size_gb > usable_capacity_gb(pool):
        return False
    if not pool.thin_provisioning_support:
        reserved = pool.total_capacity_gb * pool.reserved_percentage / 100.0
        return pool.free_capacity_gb - reserved >= spec.size_gb
    return True


def source_filter(pool: Pool, spec: RequestSpec) -> bool:
    return ((spec.source_pool is None or pool.name == spec.source_pool)
            and (spec.backend_host is None or pool.backend_host == spec.backend_host))


def capabilities_filter(pool: Pool, spec: RequestSpec) -> bool:
    return satisfies(pool.capabilities, pool.volume_backend_name, spec.extra_specs)


FILTERS: tuple[tuple[str, Callable[[Pool, RequestSpec], bool]], ...] = (
    ("AvailabilityZoneFilter", availability_zone_filter),
    ("SourceFilter", source_filter),
    ("CapabilitiesFilter", capabilities_filter),
    ("CapacityFilter", capacity_filter),
)


def filter_pools(pools: list[Pool], spec: RequestSpec) -> tuple[list[Pool], str | None]:
    """The pools that pass every filter, or none plus the name of the filter that emptied the list."""
    remaining = pools
    for name, check in FILTERS:
        remaining = [pool for pool in remaining if check(pool, spec)]
        if not remaining:
            return [], name
    return remaining, None
