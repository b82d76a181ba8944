"""Retype with migration between real storage: lvm-1 (LVM on a loop file, tgtd) and nfs-1 (nfs-ganesha).

The data is written and read back as a compute host would (libiscsi's initiator for LVM, qemu's nfs://
client for NFS) on each side of each move; and the source's active volume service killed with SIGKILL
in the middle of a copy leaves the volume available on its source, intact, its migration_status
error, and no half-written copy on the destination.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from localcluster.storage import TgtDaemon, logical_volumes

from bench.stack import SplitStack
from tests import datapath
from tests.integration.storage_fixtures import TGT_CONTROL, TGT_PORT, active_volume_service

pytestmark = pytest.mark.integration

ADMIN = {"X-Auth-Token": "admin:admin", "OpenStack-API-Version": "volume 3.71"}
HOST = {"initiator": "iqn.1993-08.org.debian:01:compute-m", "ip": "127.0.0.1", "host": "compute-m",
        "platform": "x86_64", "os_type": "linux", "multipath": False, "mountpoint": "/dev/vdb"}
SERVER = "5b0f6a2e-3c9d-4e1f-8a7b-6c5d4e3f2a10"
MiB = 1024 ** 2
COPY_BPS = 64 * MiB  # a 1 GiB LV (read whole: a device has no holes) copies in about 16 s


@pytest.fixture(scope="module")
def stack(tgtd: TgtDaemon, volume_group: tuple[str, str], nfs_server: list[Path],
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[SplitStack]:
    vg, device = volume_group
    shares = tmp_path_factory.mktemp("nfs-config") / "nfs_shares"
    shares.write_text(f"127.0.0.1:{nfs_server[0]}\n")
    sections = {
        "lvm-1": (f"volume_driver = lvm\nvolume_group = {vg}\nlvm_devices = {device}\nlvm_activation = loop\n"
                  f"target_port = {TGT_PORT}\ntgt_control_port = {TGT_CONTROL}\n"),
        "nfs-1": f"volume_driver = nfs\nnfs_shares_config = {shares}\nnfs_qemu_backing_urls = true\n",
    }
    running = SplitStack(backend_sections=sections, volume_services=2, quota_volumes=-1,
                         extra_conf=f"volume_copy_bps_limit = {COPY_BPS}\n").start()
    yield running
    running.close()


@pytest.fixture(scope="module")
def api(stack: SplitStack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.endpoint, headers=ADMIN, timeout=60) as client:
        for backend in ("lvm-1", "nfs-1"):
            created = client.post("/types", json={"volume_type": {
                "name": backend, "extra_specs": {"volume_backend_name": backend}}})
            assert created.status_code == 200, created.text
        yield client


def _volume(api: httpx.Client, volume_type: str) -> str:
    created = api.post("/volumes", json={"volume": {"size": 1, "volume_type": volume_type}})
    assert created.status_code == 202, created.text
    volume_id = str(created.json()["volume"]["id"])
    assert _until(api, volume_id, lambda v: v["status"] in ("available", "error"))["status"] == "available"
    return volume_id


def _until(api: httpx.Client, volume_id: str, done: Any, timeout_s: float = 90) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    volume: dict[str, Any] = {}
    while time.monotonic() < deadline:
        volume = api.get(f"/volumes/{volume_id}").json()["volume"]
        if done(volume):
            return volume
        time.sleep(0.1)
    raise AssertionError(f"volume {volume_id} stayed {volume.get('status')}/{volume.get('migration_status')}")


def _eventually(check: Any, what: str, timeout_s: float = 15) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def _moved(volume: dict[str, Any]) -> bool:
    return volume["status"] == "available" and volume["migration_status"] in ("success", "error")


class _Attached:
    """The volume attached to HOST through the attachments API: its data path, detached on leaving."""

    def __init__(self, api: httpx.Client, volume_id: str) -> None:
        self._api = api
        created = api.post("/attachments", json={"attachment": {"volume_uuid": volume_id, "instance_uuid": SERVER,
                                                                "connector": HOST}})
        assert created.status_code == 200, created.text
        self.attachment = created.json()["attachment"]
        self.target = datapath.target_of(self.attachment["connection_info"], nfs_via_url=True,
                                         initiator=str(HOST["initiator"]))

    def __enter__(self) -> tuple[str, str]:
        return self.target

    def __exit__(self, *_: object) -> None:
        assert self._api.delete(f"/attachments/{self.attachment['id']}").status_code == 200


def _retype(api: httpx.Client, volume_id: str, new_type: str) -> None:
    answer = api.post(f"/volumes/{volume_id}/action",
                      json={"os-retype": {"new_type": new_type, "migration_policy": "on-demand"}})
    assert answer.status_code == 202, answer.text


def _share_files(nfs_server: list[Path]) -> set[str]:
    return set(os.listdir(nfs_server[0]))


def test_retype_moves_a_volume_lvm_to_nfs_and_back_with_its_data(api: httpx.Client, volume_group: tuple[str, str],
                                                                  nfs_server: list[Path]) -> None:
    volume_id = _volume(api, "lvm-1")
    with _Attached(api, volume_id) as target:
        assert target[0].startswith("json:")  # iSCSI, through libiscsi's initiator
        datapath.write(target, 0xA5, 0)
        datapath.write(target, 0x5A, 1024 * MiB - MiB)  # the last MiB
    _retype(api, volume_id, "nfs-1")
    moved = _until(api, volume_id, _moved)
    assert (moved["migration_status"], moved["volume_type"]) == ("success", "nfs-1"), moved
    assert "@nfs-1#" in moved["os-vol-host-attr:host"] and moved["id"] == volume_id
    # the source's copy goes just after the swap landed
    _eventually(lambda: f"volume-{volume_id}" not in logical_volumes(*volume_group), "the source's LV to go")
    with _Attached(api, volume_id) as target:
        assert target[0].startswith("nfs://")
        assert datapath.holds(target, 0xA5, 0) and datapath.holds(target, 0x5A, 1024 * MiB - MiB)
        assert datapath.holds(target, 0, 512 * MiB)
        datapath.write(target, 0x3C, 256 * MiB)
    _retype(api, volume_id, "lvm-1")
    back = _until(api, volume_id, _moved)
    assert (back["migration_status"], back["volume_type"]) == ("success", "lvm-1"), back
    _eventually(lambda: not any(volume_id in name for name in _share_files(nfs_server)), "the NFS copy to go")
    with _Attached(api, volume_id) as target:
        assert all(datapath.holds(target, pattern, offset) for pattern, offset in (
            (0xA5, 0), (0x3C, 256 * MiB), (0x5A, 1024 * MiB - MiB), (0, 512 * MiB)))
    assert api.delete(f"/volumes/{volume_id}").status_code == 202


def test_the_source_active_killed_mid_copy_leaves_the_volume_intact_on_its_source(
        stack: SplitStack, api: httpx.Client, volume_group: tuple[str, str], nfs_server: list[Path]) -> None:
    volume_id = _volume(api, "lvm-1")
    with _Attached(api, volume_id) as target:
        datapath.write(target, 0xC3, 128 * MiB)
    victim = active_volume_service(api, "lvm-1")
    _retype(api, volume_id, "nfs-1")
    copying = _until(api, volume_id, lambda v: v["migration_status"] in ("migrating", "success", "error"), 30)
    assert copying["migration_status"] == "migrating", copying  # the copy of 1 GiB takes about 16 s
    assert f"volume-{volume_id}" in _share_files(nfs_server)  # the target is being written
    stack.processes[victim].stop(signal.SIGKILL)
    failed = _until(api, volume_id, _moved, timeout_s=60)
    stack.spawn(victim, ["ember-volume"], host=victim)  # back, as the standby
    assert (failed["status"], failed["migration_status"], failed["volume_type"]) == ("available", "error", "lvm-1")
    assert "@lvm-1#" in failed["os-vol-host-attr:host"]
    assert f"volume-{volume_id}" not in _share_files(nfs_server)  # the half-written copy is gone
    assert f"volume-{volume_id}" in logical_volumes(*volume_group)
    with _Attached(api, volume_id) as target:
        assert datapath.holds(target, 0xC3, 128 * MiB) and datapath.holds(target, 0, 0, MiB)
    assert api.delete(f"/volumes/{volume_id}").status_code == 202
