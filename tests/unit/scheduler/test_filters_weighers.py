"""Filters and the capacity weigher on hand-made pools."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from db.records import Pool
from scheduler.filters import RequestSpec, filter_pools
from scheduler.weighers import capacity_weigher


def make_pool(name: str = "h@b#p", **overrides: Any) -> Pool:
    values: dict[str, Any] = {
        "name": name, "backend_host": name.split("#")[0], "volume_backend_name": "b", "availability_zone": "nova",
        "total_capacity_gb": 100.0, "free_capacity_gb": 100.0, "allocated_capacity_gb": 0.0,
        "reserved_percentage": 0, "max_over_subscription_ratio": 1.0, "thin_provisioning_support": False,
        "capabilities": {}, "updated_at": datetime.now()}
    values.update(overrides)
    return Pool(**values)


def test_availability_zone_filter() -> None:
    pools = [make_pool("a@b#p", availability_zone="az1"), make_pool("c@d#p", availability_zone="az2")]
    passed, _ = filter_pools(pools, RequestSpec(size_gb=1, availability_zone="az2"))
    assert [p.name for p in passed] == ["c@d#p"]
    none, emptied_by = filter_pools(pools, RequestSpec(size_gb=1, availability_zone="az9"))
    assert none == [] and emptied_by == "AvailabilityZoneFilter"


def test_thick_capacity_honours_the_reserved_percentage() -> None:
    pool = make_pool(reserved_percentage=10, free_capacity_gb=50.0)
    assert filter_pools([pool], RequestSpec(size_gb=40, availability_zone=None))[0]
    passed, emptied_by = filter_pools([pool], RequestSpec(size_gb=41, availability_zone=None))
    assert passed == [] and emptied_by == "CapacityFilter"


def test_thin_pools_over_subscribe_up_to_the_ratio() -> None:
    pool = make_pool(thin_provisioning_support=True, max_over_subscription_ratio=2.0, allocated_capacity_gb=150.0,
                     free_capacity_gb=10.0)
    assert filter_pools([pool], RequestSpec(size_gb=50, availability_zone=None))[0]
    assert not filter_pools([pool], RequestSpec(size_gb=51, availability_zone=None))[0]


def test_capabilities_match_extra_specs_with_operators() -> None:
    pool = make_pool(capabilities={"storage_protocol": "nfs", "multiattach": True, "speed": 10})
    ok = {"volume_backend_name": "b", "capabilities:storage_protocol": "<in> nfs", "multiattach": "<is> True",
          "speed": ">= 5", "qos:read_iops": "100"}
    assert filter_pools([pool], RequestSpec(size_gb=1, availability_zone=None, extra_specs=ok))[0]
    for bad in ({"volume_backend_name": "other"}, {"speed": "> 10"}, {"missing_capability": "x"}):
        passed, emptied_by = filter_pools([pool], RequestSpec(size_gb=1, availability_zone=None, extra_specs=bad))
        assert passed == [] and emptied_by == "CapabilitiesFilter"


def test_copies_land_on_their_source_pool() -> None:
    pools = [make_pool("a@b#p"), make_pool("c@d#p")]
    passed, _ = filter_pools(pools, RequestSpec(size_gb=1, availability_zone=None, source_pool="c@d#p"))
    assert [p.name for p in passed] == ["c@d#p"]


def test_weigher_prefers_the_emptiest_pool() -> None:
    pools = [make_pool("a@b#p", allocated_capacity_gb=60.0), make_pool("c@d#p", allocated_capacity_gb=10.0),
             make_pool("e@f#p", thin_provisioning_support=True, max_over_subscription_ratio=3.0,
                       allocated_capacity_gb=100.0)]
    assert [p.name for p in capacity_weigher(pools)] == ["e@f#p", "c@d#p", "a@b#p"]
