"""The lvm driver against real lvm2 (activation off, loop devices) and a real tgtd, read through libiscsi.

Every byte check logs in to the target the volume's connection_info names, with its CHAP
credentials, through qemu's iscsi:// client, as a compute host would.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from localcluster.storage import logical_volumes, tgt_targets

from drivers.base import Export
from drivers.errors import DriverError, NotEnoughSpace
from drivers.lvm import LvmDriver
from tests import datapath, driver_contract
from tests.driver_contract import CONNECTOR, Host
from tests.integration.storage_fixtures import TGT_CONTROL, TGT_PORT, backend_conf

pytestmark = pytest.mark.integration
BACKEND = "lvm-1"
GiB = driver_contract.GiB


@pytest.fixture
def lvm_driver(tgtd: object, volume_group: tuple[str, str], tmp_path: Path) -> LvmDriver:
    vg, device = volume_group
    conf = backend_conf(tmp_path, BACKEND, volume_driver="lvm", volume_group=vg, lvm_devices=[device],
                        lvm_activation="loop", target_port=TGT_PORT, tgt_control_port=TGT_CONTROL,
                        target_prefix="iqn.2026-12.org.ember.test:")
    driver = LvmDriver(conf, BACKEND)
    driver.setup()
    return driver


def _lvs(vg: str, device: str) -> set[str]:
    return logical_volumes(vg, device)


HOST = str(CONNECTOR["initiator"])


def _targets() -> str:
    return tgt_targets(TGT_CONTROL)


@pytest.mark.parametrize("check", driver_contract.ALL_CHECKS, ids=lambda check: check.__name__[len("check_"):])
def test_contract_through_iscsi(lvm_driver: LvmDriver, volume_group: tuple[str, str],
                                check: Callable[[Host], None]) -> None:
    check(Host(lvm_driver))
    assert _lvs(*volume_group) == set()  # nothing left behind, not even a temporary copy
    assert "Target " not in _targets()


def test_chap_guards_the_target(lvm_driver: LvmDriver) -> None:
    lvm_driver.create_volume("chap", 1)
    export = lvm_driver.create_export("chap", CONNECTOR)
    info = lvm_driver.initialize_connection("chap", export, CONNECTOR)
    data = info["data"]
    assert data["auth_method"] == "CHAP" and len(data["auth_password"]) >= 12
    good = datapath.target_of(info, initiator=HOST)
    assert datapath.can_open(good)
    wrong = datapath.target_of({**info, "data": {**data, "auth_password": "not-the-secret"}}, initiator=HOST)
    assert not datapath.can_open(wrong)
    anonymous = datapath.target_of({**info, "data": {**data, "auth_method": None}}, initiator=HOST)
    assert not datapath.can_open(anonymous)
    other_host = datapath.target_of(info, initiator="iqn.1993-08.org.debian:01:another-host")
    assert not datapath.can_open(other_host)  # the secret alone is not enough: the initiator is on the ACL

    lvm_driver.terminate_connection("chap", export, CONNECTOR)
    assert not datapath.can_open(good)  # the connection ended: this host's access went with it
    lvm_driver.initialize_connection("chap", export, CONNECTOR)
    assert datapath.can_open(good)
    lvm_driver.remove_export("chap", export)
    assert not datapath.can_open(good)  # the export is gone: the same login fails
    lvm_driver.delete_volume("chap")


def test_targets_come_back_after_tgtd_restarts(lvm_driver: LvmDriver, tgtd: object) -> None:
    lvm_driver.create_volume("survivor", 1)
    export = lvm_driver.create_export("survivor", CONNECTOR)
    target = datapath.target_of(lvm_driver.initialize_connection("survivor", export, CONNECTOR), initiator=HOST)
    datapath.write(target, 0x7E, 4096)

    tgtd.kill()  # type: ignore[attr-defined]
    assert not datapath.can_open(target)
    tgtd.start()  # type: ignore[attr-defined]
    assert not datapath.can_open(target)  # a new tgtd knows no target ...
    recorded = Export(export.provider_location, export.provider_auth)
    lvm_driver.ensure_export("survivor", recorded)  # re-created from the record: no host admitted yet
    assert not datapath.can_open(target)
    lvm_driver.initialize_connection("survivor", recorded, CONNECTOR)  # what the volume service does next
    assert datapath.holds(target, 0x7E, 4096)
    lvm_driver.remove_export("survivor", export)
    lvm_driver.delete_volume("survivor")


def test_extend_while_exported_shows_the_new_size(lvm_driver: LvmDriver) -> None:
    lvm_driver.create_volume("grow", 1)
    export = lvm_driver.create_export("grow", CONNECTOR)
    target = datapath.target_of(lvm_driver.initialize_connection("grow", export, CONNECTOR), initiator=HOST)
    datapath.write(target, 0x3D, 0)
    lvm_driver.extend_volume("grow", 3)
    assert datapath.size(target) == 3 * GiB  # the same login sees the new size
    assert datapath.holds(target, 0x3D, 0) and datapath.holds(target, 0, 2 * GiB)
    lvm_driver.remove_export("grow", export)
    lvm_driver.delete_volume("grow")


def test_without_room_behind_it_a_volume_moves_unless_exported(lvm_driver: LvmDriver) -> None:
    lvm_driver.create_volume("grow", 1)
    lvm_driver.create_volume("neighbour", 1)  # takes the extents after "grow"
    host = Host(lvm_driver)
    host.write("grow", 0x3D, 4096)
    export = lvm_driver.create_export("grow", CONNECTOR)
    with pytest.raises(DriverError, match="no room to grow it in place"):
        lvm_driver.extend_volume("grow", 3)  # an attached host would write to the old extents meanwhile
    assert lvm_driver.volume_size("grow") == GiB
    lvm_driver.remove_export("grow", export)
    lvm_driver.extend_volume("grow", 3)
    assert host.sees_size("grow") == 3 * GiB and host.holds("grow", 0x3D, 4096) and host.holds("grow", 0, 2 * GiB)
    for volume_id in ("grow", "neighbour"):
        lvm_driver.delete_volume(volume_id)


def test_what_an_interrupted_create_extend_or_move_left_is_undone(lvm_driver: LvmDriver,
                                                                  volume_group: tuple[str, str]) -> None:
    lvm = lvm_driver._lvm  # the crash leftovers are staged with the driver's own lvm2 commands
    devices = lvm_driver._devices
    # a create killed after lvcreate, its tmp- LV holding an earlier volume's bytes
    lvm("lvcreate", "-n", "tmp-volume-c", "-L", f"{GiB}b", "-Wn", "-an", "-Zn", "--contiguous", "y", lvm.vg)
    leftover = lvm.get("tmp-volume-c")
    assert leftover is not None
    with devices.open(leftover) as device:
        datapath.write((device, "raw"), 0xEE, 0)
    lvm_driver.create_volume("c", 1)
    host = Host(lvm_driver)
    assert host.holds("c", 0x00) and "tmp-volume-c" not in _lvs(*volume_group)

    # an extend killed after lvextend: the tag says where the new part starts, the replay zeroes it
    host.write("c", 0xEE, GiB - driver_contract.MiB)
    lvm("lvchange", "--addtag", f"ember_zero_from_{GiB // 2}", lvm.path("volume-c"))
    lvm_driver.extend_volume("c", 1)
    assert host.holds("c", 0x00, GiB - driver_contract.MiB) and lvm.get("volume-c").tags == ()  # type: ignore[union-attr]

    # a move killed between its renames: the whole copy takes the name
    host.write("c", 0x5B, 0)
    source = lvm.get("volume-c")
    assert source is not None
    lvm("lvcreate", "-n", "tmp-volume-c", "-L", f"{2 * GiB}b", "-Wn", "-an", "-Zn", "--contiguous", "y", lvm.vg)
    copy = lvm.get("tmp-volume-c")
    assert copy is not None
    with devices.open(source) as from_device, devices.open(copy) as to_device:
        devices.zero(to_device, 0, copy.size)
        devices.copy(from_device, to_device, target_zeroed=True)
    lvm("lvrename", lvm.vg, "volume-c", "old-volume-c")
    assert lvm_driver.volume_size("c") == 2 * GiB and host.holds("c", 0x5B, 0)
    assert _lvs(*volume_group) == {"volume-c"}
    lvm_driver.delete_volume("c")


def test_full_group_refuses_and_leaves_nothing(lvm_driver: LvmDriver, volume_group: tuple[str, str]) -> None:
    (pool,) = lvm_driver.pool_stats()
    with pytest.raises(NotEnoughSpace):
        lvm_driver.create_volume("too-big", int(pool.free_capacity_gb) + 1)
    lvm_driver.create_volume("src", 1)
    with pytest.raises(NotEnoughSpace):
        lvm_driver.clone_volume("big-clone", int(pool.free_capacity_gb) + 1, source_volume_id="src")
    lvm_driver.delete_volume("src")
    assert _lvs(*volume_group) == set()


def test_capacity_is_the_volume_group(lvm_driver: LvmDriver) -> None:
    (pool,) = lvm_driver.pool_stats()
    assert 15.5 < pool.total_capacity_gb <= 16 and pool.free_capacity_gb == pool.total_capacity_gb
    assert pool.extra["storage_protocol"] == "iSCSI" and pool.extra["snapshots"] == "full-copy"
