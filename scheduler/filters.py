"""Backend filters: which pools can take a request. Pure functions over pool records."""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from db.records import Pool


@dataclass(frozen=True)
class RequestSpec:
    size_gb: int
    availability_zone: str | None
    extra_specs: Mapping[str, str] = field(default_factory=dict)
    # create from a snapshot or a volume: the copy must land where its source is
    source_pool: str | None = None


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
    return spec.source_pool is None or pool.name == spec.source_pool


_NUMERIC_OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge, "<=": operator.le, "==": operator.eq, "!=": operator.ne, ">": operator.gt, "<": operator.lt,
}


def _matches(actual: Any, wanted: str) -> bool:
    """Cinder's extra-spec matching: plain equality, or an operator such as ``<is> True``, ``>= 10``."""
    words = wanted.split(None, 1)
    op = words[0] if words else ""
    arg = words[1] if len(words) > 1 else ""
    if op == "<is>":
        return str(actual).lower() == arg.strip().lower()
    if op == "<in>":
        return arg.strip() in str(actual)
    if op == "<or>":
        return str(actual) in [part.strip() for part in arg.split("<or>")]
    if op in ("s==", "s!="):
        return (str(actual) == arg.strip()) == (op == "s==")
    if op in _NUMERIC_OPS:
        try:
            return _NUMERIC_OPS[op](float(actual), float(arg))
        except (TypeError, ValueError):
            return False
    return str(actual).lower() == wanted.strip().lower()


def capabilities_filter(pool: Pool, spec: RequestSpec) -> bool:
    capabilities = {**pool.capabilities, "volume_backend_name": pool.volume_backend_name}
    for key, wanted in spec.extra_specs.items():
        scope, _, name = key.rpartition(":")
        if scope not in ("", "capabilities"):
            continue  # scoped keys (qos:, hw:…) are for other consumers
        if name not in capabilities or not _matches(capabilities[name], wanted):
            return False
    return True


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
