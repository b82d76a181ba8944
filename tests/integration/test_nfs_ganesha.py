"""The nfs driver on shares served by a real nfs-ganesha, read the way a compute host would: nfs:// (libnfs).

The shares are folders of this host exported by ganesha under their own paths, so the
driver works on them in place while every byte check goes over NFSv3 through qemu's client.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from drivers.errors import NotEnoughSpace
from drivers.nfs import NfsDriver
from tests import datapath, driver_contract
from tests.driver_contract import CONNECTOR, Host
from tests.integration.storage_fixtures import backend_conf

pytestmark = pytest.mark.integration
BACKEND = "nfs-1"


@pytest.fixture
def make_driver(nfs_server: list[Path], tmp_path: Path) -> Callable[..., NfsDriver]:
    for export in nfs_server:
        for leftover in export.iterdir():
            leftover.unlink()
    shares = tmp_path / "nfs_shares"
    shares.write_text("".join(f"127.0.0.1:{export}\n" for export in nfs_server))

    def make(**overrides: object) -> NfsDriver:
        conf = backend_conf(tmp_path, BACKEND, volume_driver="nfs", nfs_shares_config=str(shares),
                            nfs_qemu_backing_urls=True, **overrides)
        driver = NfsDriver(conf, BACKEND)
        driver.setup()
        return driver
    return make


@pytest.mark.parametrize("qcow2", [False, True], ids=["raw", "qcow2"])
@pytest.mark.parametrize("check", driver_contract.ALL_CHECKS, ids=lambda check: check.__name__[len("check_"):])
def test_contract_over_nfs(make_driver: Callable[..., NfsDriver], nfs_server: list[Path], qcow2: bool,
                           check: Callable[[Host], None]) -> None:
    check(Host(make_driver(nfs_qcow2_volumes=qcow2), nfs_via_url=True))
    assert [name for export in nfs_server for name in os.listdir(export)] == []  # no file left behind


def test_connection_info_names_the_export_and_file(make_driver: Callable[..., NfsDriver],
                                                   nfs_server: list[Path]) -> None:
    driver = make_driver()
    driver.create_volume("v1", 1)
    export = driver.create_export("v1", CONNECTOR)
    info = driver.initialize_connection("v1", export, CONNECTOR)
    assert info["driver_volume_type"] == "nfs"
    assert info["data"]["export"] in {f"127.0.0.1:{e}" for e in nfs_server}
    assert info["data"]["name"] == "volume-v1" and info["data"]["format"] == "raw"
    assert export.provider_location == info["data"]["export"]
    driver.create_snapshot("s1", volume_id="v1")
    after = driver.initialize_connection("v1", export, CONNECTOR)["data"]
    assert after["name"] == "volume-v1.s1" and after["format"] == "qcow2"  # the overlay is what the host opens
    target = datapath.target_of({"driver_volume_type": "nfs", "data": after}, nfs_via_url=True)
    assert datapath.size(target) == driver_contract.GiB
    driver.delete_volume("v1")


def test_new_volumes_go_to_the_share_with_most_room(make_driver: Callable[..., NfsDriver],
                                                    nfs_server: list[Path]) -> None:
    driver = make_driver(nfs_oversub_ratio=1000.0)
    pools = {p.pool_name: p for p in driver.pool_stats()}
    assert len(pools) == 2  # one pool per share
    driver.create_volume("a", 2, pool=f"127.0.0.1:{nfs_server[1]}")  # the scheduler's pool is honoured
    assert os.path.exists(nfs_server[1] / "volume-a")
    after = {p.pool_name: p for p in driver.pool_stats()}
    assert after[f"127.0.0.1:{nfs_server[1]}"].provisioned_capacity_gb == 2
    driver.delete_volume("a")


def test_oversubscribed_shares_refuse(make_driver: Callable[..., NfsDriver], nfs_server: list[Path]) -> None:
    driver = make_driver(nfs_oversub_ratio=0.000001)
    with pytest.raises(NotEnoughSpace, match="would exceed"):
        driver.create_volume("v1", 1)
    assert [name for export in nfs_server for name in os.listdir(export)] == []
