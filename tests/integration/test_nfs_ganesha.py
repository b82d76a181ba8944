"""The nfs driver on shares served by a real nfs-ganesha, read the way a compute host would: nfs:// (libnfs).

The shares are folders of this host exported by ganesha under their own paths, so the
driver works on them in place while every byte check goes over NFSv3 through qemu's client.
"""

from __future__ import annotations

import grp
import os
import stat
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
NOBODY = 65534


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


def test_only_the_owner_and_the_group_open_a_volume_over_nfs(make_driver: Callable[..., NfsDriver],
                                                             nfs_server: list[Path]) -> None:
    group = next(g for g in grp.getgrall() if g.gr_gid not in (os.getegid(), NOBODY))  # the compute hosts' qemu
    previous = os.umask(0)
    try:
        driver = make_driver(nas_file_group=group.gr_name)
        driver.create_volume("v1", 1)
        driver.create_snapshot("s1", volume_id="v1")
        driver.clone_volume("c1", 1, source_volume_id="v1")
    finally:
        os.umask(previous)
    files = [path for export in nfs_server for path in export.iterdir()]
    assert {p.name for p in files} == {"volume-v1", "volume-v1.s1", "volume-v1.info", "volume-c1", "volume-c1.info"}
    for path in files:
        mode = path.stat()
        assert (oct(stat.S_IMODE(mode.st_mode)), mode.st_gid) == ("0o660", group.gr_gid), path
    info = driver.initialize_connection("v1", driver.create_export("v1", CONNECTOR), CONNECTOR)
    url, fmt = datapath.target_of(info, nfs_via_url=True)
    in_group = (f"{url}?uid={NOBODY}&gid={group.gr_gid}", fmt)  # a host whose qemu runs in the group
    datapath.write(in_group, 0x3C, 0)
    assert datapath.holds(in_group, 0x3C, 0)
    assert not datapath.can_open((f"{url}?uid={NOBODY}&gid={NOBODY}", fmt))  # any other host's user
    control = Path(driver.volume_path("v1") or "").with_name("control")  # the mode refuses it, nothing else
    control.write_bytes(b"\0" * 65536)
    control.chmod(0o666)
    assert datapath.can_open((f"{url.rpartition('/')[0]}/control?uid={NOBODY}&gid={NOBODY}", "raw"))
    control.unlink()
    for volume_id in ("v1", "c1"):
        driver.delete_volume(volume_id)
