"""The contract every driver keeps: the whole volume life cycle, and every operation idempotent."""

from __future__ import annotations

import os

import pytest

from drivers.base import VolumeDriver

GiB = 1024 ** 3


@pytest.fixture(params=["file", "noop"])
def driver(request: pytest.FixtureRequest) -> VolumeDriver:
    return request.getfixturevalue(f"{request.param}_driver")


def _size(driver: VolumeDriver, volume_id: str) -> int | None:
    path = driver.volume_path(volume_id)
    return None if path is None else os.path.getsize(path)


def _exists(driver: VolumeDriver, volume_id: str) -> bool | None:
    path = driver.volume_path(volume_id)
    return None if path is None else os.path.exists(path)


def _check(driver: VolumeDriver, value: object, expected: object) -> None:
    # Drivers without local files (noop) have nothing to look at.
    if driver.volume_path("any") is not None:
        assert value == expected


def test_volume_life_cycle(driver: VolumeDriver) -> None:
    driver.create_volume("v1", 1)
    _check(driver, _size(driver, "v1"), 1 * GiB)

    driver.extend_volume("v1", 2)
    _check(driver, _size(driver, "v1"), 2 * GiB)

    driver.create_snapshot("s1", volume_id="v1")
    driver.create_volume_from_snapshot("v2", 3, snapshot_id="s1", source_volume_id="v1")
    _check(driver, _size(driver, "v2"), 3 * GiB)

    driver.clone_volume("v3", 2, source_volume_id="v1")
    _check(driver, _size(driver, "v3"), 2 * GiB)

    driver.delete_snapshot("s1", volume_id="v1")
    for volume_id in ("v1", "v2", "v3"):
        driver.delete_volume(volume_id)
        _check(driver, _exists(driver, volume_id), False)


def test_operations_are_idempotent(driver: VolumeDriver) -> None:
    driver.create_volume("v1", 1)
    driver.create_volume("v1", 1)
    _check(driver, _size(driver, "v1"), 1 * GiB)

    driver.extend_volume("v1", 2)
    driver.extend_volume("v1", 2)
    _check(driver, _size(driver, "v1"), 2 * GiB)

    driver.create_snapshot("s1", volume_id="v1")
    driver.create_snapshot("s1", volume_id="v1")
    driver.create_volume_from_snapshot("v2", 2, snapshot_id="s1", source_volume_id="v1")
    driver.create_volume_from_snapshot("v2", 2, snapshot_id="s1", source_volume_id="v1")
    driver.clone_volume("v3", 2, source_volume_id="v1")
    driver.clone_volume("v3", 2, source_volume_id="v1")

    driver.delete_snapshot("s1", volume_id="v1")
    driver.delete_snapshot("s1", volume_id="v1")
    driver.delete_volume("v1")
    driver.delete_volume("v1")
    _check(driver, _exists(driver, "v1"), False)
    driver.delete_volume("never-created")
    driver.delete_snapshot("never-created", volume_id="v1")


def test_create_of_a_smaller_existing_volume_grows_it(driver: VolumeDriver) -> None:
    driver.create_volume("v1", 1)
    driver.create_volume("v1", 2)
    _check(driver, _size(driver, "v1"), 2 * GiB)


def test_reports_one_pool_with_capacity(driver: VolumeDriver) -> None:
    driver.create_volume("v1", 1)
    (pool,) = driver.pool_stats()
    assert pool.pool_name
    assert pool.total_capacity_gb > 0
    assert 0 <= pool.free_capacity_gb <= pool.total_capacity_gb
    assert {"storage_protocol", "vendor_name", "driver_version"} <= pool.extra.keys()
