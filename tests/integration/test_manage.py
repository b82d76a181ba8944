"""Manage and unmanage on real storage, read through the data path a compute host uses.

lvm-1: an LV made with lvcreate outside ember, written through a loop device over its extents, listed
(unsafe while that loop maps it), managed (renamed to ember's name, grown to whole GiB, its bytes in
place), read back through ember's iSCSI export with libiscsi, unmanaged (the LV and its bytes stay).
nfs-1: a raw and a qcow2 file put on the ganesha export, managed, read back through nfs://, unmanaged.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from localcluster.storage import _lvm_config, logical_volumes

from tests import datapath
from tests.integration.storage_fixtures import settle
from tests.integration.test_revert_cascade import _lv_offset, _lvm

pytestmark = pytest.mark.integration

V38 = {"OpenStack-API-Version": "volume 3.8"}
HOST = {"initiator": "iqn.1993-08.org.debian:01:compute-manage", "ip": "127.0.0.1", "host": "compute-manage",
        "platform": "x86_64", "os_type": "linux", "multipath": False}
SERVER = "5b2e9c1d-7a4f-4e3b-9c8d-1f2a3b4c5d6e"
MiB, GiB = 1024 ** 2, 1024 ** 3


@pytest.fixture(scope="module")
def api(typed_storage_api: httpx.Client) -> httpx.Client:
    return typed_storage_api


def _pool(api: httpx.Client, backend: str) -> str:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        pools = api.get("/scheduler-stats/get_pools").json()["pools"]
        names = [p["name"] for p in pools if p["name"].split("#")[0].endswith(f"@{backend}")]
        if names:
            return str(names[0])
        time.sleep(0.2)
    raise AssertionError(f"no pool of {backend}")


def _listed(api: httpx.Client, host: str) -> dict[str, dict[str, Any]]:
    response = api.get("/manageable_volumes/detail", params={"host": host}, headers=V38)
    assert response.status_code == 200, response.text
    return {item["reference"]["source-name"]: item for item in response.json()["manageable-volumes"]}


def _manage(api: httpx.Client, pool: str, name: str, backend: str) -> dict[str, Any]:
    response = api.post("/manageable_volumes", headers=V38, json={"volume": {
        "host": pool, "ref": {"source-name": name}, "volume_type": backend, "name": f"managed-{name}"}})
    assert response.status_code == 202, response.text
    volume = settle(api, f"/volumes/{response.json()['volume']['id']}")
    assert volume["status"] == "available", volume
    return volume


def _read_through_attachment(api: httpx.Client, volume_id: str, pattern: int, offset: int) -> bool:
    created = api.post("/attachments", headers={"OpenStack-API-Version": "volume 3.54"}, json={"attachment": {
        "volume_uuid": volume_id, "instance_uuid": SERVER, "connector": HOST}})
    assert created.status_code == 200, created.text
    attachment = created.json()["attachment"]
    target = datapath.target_of(attachment["connection_info"], nfs_via_url=True, initiator=str(HOST["initiator"]))
    try:
        return datapath.holds(target, pattern, offset)
    finally:
        assert api.delete(f"/attachments/{attachment['id']}",
                          headers={"OpenStack-API-Version": "volume 3.54"}).status_code == 200


def _unmanage(api: httpx.Client, volume_id: str) -> None:
    assert api.post(f"/volumes/{volume_id}/action", json={"os-unmanage": {}}).status_code == 202
    assert settle(api, f"/volumes/{volume_id}")["status"] == "deleted"


def test_an_lv_made_outside_ember_is_managed_read_over_iscsi_and_unmanaged(
        api: httpx.Client, volume_group: tuple[str, str]) -> None:
    vg, device = volume_group
    pool = _pool(api, "lvm-1")
    _lvm("lvcreate", "--config", _lvm_config(device), "-an", "-Zn", "-Wn", "--contiguous", "y", "-n", "legacy-lv",
         "-L", "1536m", vg)
    offset = _lv_offset(volume_group, "legacy-lv")
    loop = subprocess.run(["losetup", "--find", "--show", "--offset", str(offset), "--sizelimit", str(1536 * MiB),
                           device], capture_output=True, text=True, check=True).stdout.strip()
    try:
        datapath.write((loop, "raw"), 0x5C, 7 * MiB)
        listed = _listed(api, pool.split("#")[0])
        assert listed["legacy-lv"]["size"] == 2  # 1.5 GiB, rounded up as Cinder rounds
        assert listed["legacy-lv"]["safe_to_manage"] is False and "loop" in listed["legacy-lv"]["reason_not_safe"]
        refused = api.post("/manageable_volumes", headers=V38, json={"volume": {
            "host": pool, "ref": {"source-name": "legacy-lv"}, "volume_type": "lvm-1"}})
        assert refused.status_code == 400 and "loop" in refused.text
    finally:
        subprocess.run(["losetup", "--detach", loop], check=True)
    assert _listed(api, pool)["legacy-lv"]["safe_to_manage"] is True

    volume = _manage(api, pool, "legacy-lv", "lvm-1")
    assert (volume["size"], volume["os-vol-host-attr:host"]) == (2, pool)
    lvs = logical_volumes(vg, device)
    assert f"volume-{volume['id']}" in lvs and "legacy-lv" not in lvs
    assert _read_through_attachment(api, volume["id"], 0x5C, 7 * MiB)
    assert _listed(api, pool)[f"volume-{volume['id']}"]["cinder_id"] == volume["id"]

    _unmanage(api, volume["id"])
    assert f"volume-{volume['id']}" in logical_volumes(vg, device)  # the LV stays, with its bytes
    loop = subprocess.run(["losetup", "--find", "--show", "--offset",
                           str(_lv_offset(volume_group, f"volume-{volume['id']}")), "--sizelimit", str(2 * GiB),
                           device], capture_output=True, text=True, check=True).stdout.strip()
    try:
        assert datapath.holds((loop, "raw"), 0x5C, 7 * MiB)
        assert datapath.holds((loop, "raw"), 0, 1536 * MiB)  # the tail it was grown by is zeroed
    finally:
        subprocess.run(["losetup", "--detach", loop], check=True)
    again = _listed(api, pool)[f"volume-{volume['id']}"]
    assert again["safe_to_manage"] is True and again["cinder_id"] is None


def test_files_put_on_the_nfs_export_are_managed_read_over_nfs_and_unmanaged(
        api: httpx.Client, nfs_server: list[Path]) -> None:
    export = nfs_server[0]
    pool = _pool(api, "nfs-1")
    raw, qcow2 = export / "legacy.img", export / "legacy.qcow2"
    with raw.open("wb") as f:
        f.truncate(GiB)
    datapath.write((str(raw), "raw"), 0x3E, 3 * MiB)
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(qcow2), "2G"], check=True)
    datapath.write((str(qcow2), "qcow2"), 0x4F, 9 * MiB)
    listed = _listed(api, pool.split("#")[0])
    raw_ref, qcow2_ref = f"127.0.0.1:{raw}", f"127.0.0.1:{qcow2}"
    assert (listed[raw_ref]["size"], listed[raw_ref]["extra_info"]) == (1, {"format": "raw"})
    assert (listed[qcow2_ref]["size"], listed[qcow2_ref]["extra_info"]) == (2, {"format": "qcow2"})

    managed_raw = _manage(api, pool, raw_ref, "nfs-1")
    managed_qcow2 = _manage(api, pool, "legacy.qcow2", "nfs-1")  # a bare name: the one share holding it
    assert managed_qcow2["size"] == 2
    assert _read_through_attachment(api, managed_raw["id"], 0x3E, 3 * MiB)
    assert _read_through_attachment(api, managed_qcow2["id"], 0x4F, 9 * MiB)
    assert not raw.exists() and not qcow2.exists()

    for volume in (managed_raw, managed_qcow2):
        _unmanage(api, volume["id"])
    kept = export / f"volume-{managed_qcow2['id']}"
    assert datapath.holds((str(kept), "qcow2"), 0x4F, 9 * MiB)
    assert datapath.holds((str(export / f"volume-{managed_raw['id']}"), "raw"), 0x3E, 3 * MiB)
    assert not (export / f"volume-{managed_raw['id']}.info").exists()  # ember's record of it is gone
