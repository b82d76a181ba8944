"""ember with lvm-1 (LVM on a loop file + tgtd) and nfs-1 (nfs-ganesha) behind its API, two volume services each.

Volumes go to a backend by volume type; get_pools shows the storage's real capacity; a
volume too big for the volume group is refused by the scheduler with a reason; and a volume
service killed in the middle of a create, clone or delete leaves, after the standby took
over, no LV, file or target that no volume owns.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import httpx
import pytest
from localcluster.storage import logical_volumes, tgt_targets

from bench.stack import SplitStack
from tests.integration.storage_fixtures import TGT_CONTROL, active_volume_service, settle

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def api(typed_storage_api: httpx.Client) -> httpx.Client:
    return typed_storage_api


def _create(api: httpx.Client, backend: str, size: int = 1, **extra: str) -> str:
    response = api.post("/volumes", json={"volume": {"size": size, "volume_type": backend, **extra}})
    assert response.status_code == 202, response.text
    return str(response.json()["volume"]["id"])


def _lvs(volume_group: tuple[str, str]) -> set[str]:
    return logical_volumes(*volume_group)


def _share_files(nfs_server: list[Path]) -> set[str]:
    return {name for export in nfs_server for name in os.listdir(export)}


def _targets() -> str:
    return tgt_targets(TGT_CONTROL)


def test_get_pools_shows_the_real_capacity(api: httpx.Client, nfs_server: list[Path]) -> None:
    pools = {p["name"]: p["capabilities"] for p in api.get("/scheduler-stats/get_pools?detail=true").json()["pools"]}
    lvm = [c for name, c in pools.items() if "@lvm-1#" in name]
    nfs = {name.split("#", 1)[1]: c for name, c in pools.items() if "@nfs-1#" in name}
    assert len(lvm) == 1 and 15.5 < lvm[0]["total_capacity_gb"] <= 16
    assert lvm[0]["storage_protocol"] == "iSCSI" and lvm[0]["thin_provisioning_support"] is False
    assert set(nfs) == {f"127.0.0.1:{export}" for export in nfs_server}  # one pool per share
    fs = os.statvfs(nfs_server[0])
    share = nfs[f"127.0.0.1:{nfs_server[0]}"]
    assert share["storage_protocol"] == "nfs"
    assert abs(share["total_capacity_gb"] - fs.f_blocks * fs.f_frsize / 1024 ** 3) < 0.1


def test_volume_types_place_volumes_on_each_backend(api: httpx.Client, volume_group: tuple[str, str],
                                                    nfs_server: list[Path]) -> None:
    for backend in ("lvm-1", "nfs-1"):
        volume_id = _create(api, backend)
        volume = settle(api, f"/volumes/{volume_id}")
        assert volume["status"] == "available", volume
        assert f"@{backend}#" in volume["os-vol-host-attr:host"]
        snapshot = api.post("/snapshots", json={"snapshot": {"volume_id": volume_id}}).json()["snapshot"]
        assert settle(api, f"/snapshots/{snapshot['id']}")["status"] == "available"
        from_snapshot = _create(api, backend, 2, snapshot_id=snapshot["id"])
        clone = _create(api, backend, source_volid=volume_id)
        assert {settle(api, f"/volumes/{v}")["status"] for v in (from_snapshot, clone)} == {"available"}
        if backend == "lvm-1":
            assert {f"volume-{v}" for v in (volume_id, from_snapshot, clone)} <= _lvs(volume_group)
            assert f"_snapshot-{snapshot['id']}" in _lvs(volume_group)
        else:
            assert {f"volume-{volume_id}.{snapshot['id']}", f"volume-{from_snapshot}"} <= _share_files(nfs_server)
        assert api.delete(f"/snapshots/{snapshot['id']}").status_code == 202
        assert settle(api, f"/snapshots/{snapshot['id']}")["status"] == "deleted"
        for doomed in (volume_id, from_snapshot, clone):
            assert api.delete(f"/volumes/{doomed}").status_code == 202
        assert {settle(api, f"/volumes/{v}")["status"] for v in (volume_id, from_snapshot, clone)} == {"deleted"}
    assert _lvs(volume_group) == set() and _share_files(nfs_server) == set()


@pytest.mark.parametrize("backend, size_gb", [("lvm-1", 64), ("nfs-1", 100000)])
def test_a_volume_bigger_than_the_storage_gets_no_backend(storage_stack: SplitStack, api: httpx.Client,
                                                          volume_group: tuple[str, str], nfs_server: list[Path],
                                                          backend: str, size_gb: int) -> None:
    volume_id = _create(api, backend, size_gb)
    volume = settle(api, f"/volumes/{volume_id}")
    assert volume["status"] == "error"
    deadline = time.monotonic() + 10  # the scheduler writes the user message just after the status
    while True:
        messages = api.get(f"/messages?resource_uuid={volume_id}", headers={"OpenStack-API-Version": "volume 3.3"})
        if messages.json()["messages"] or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    # the project reads Cinder's words; which backends the scheduler saw and which filter refused, its log
    (message,) = messages.json()["messages"]
    assert message["user_message"] == (
        "schedule allocate volume: Could not find any available weighted backend."), messages.text
    logs = "".join(p.log_path.read_text(errors="replace") for p in storage_stack.processes.values()
                   if p.name.startswith("scheduler"))
    assert any(volume_id in line and "CapacityFilter" in line for line in logs.splitlines()), logs[-3000:]
    assert _lvs(volume_group) == set() and _share_files(nfs_server) == set()  # nothing half-made
    api.delete(f"/volumes/{volume_id}")


@pytest.mark.parametrize("backend", ["lvm-1", "nfs-1"])
def test_a_volume_service_killed_mid_operation_leaves_no_orphan(storage_stack: SplitStack, api: httpx.Client,
                                                                 backend: str, volume_group: tuple[str, str],
                                                                 nfs_server: list[Path]) -> None:
    source = _create(api, backend, 2)
    assert settle(api, f"/volumes/{source}")["status"] == "available"
    interrupted = 0  # rounds whose operation had not landed when its service died
    for round_index, action in enumerate(["create", "clone", "delete"] * 2):
        victim = active_volume_service(api, backend)
        if action == "delete":
            target = _create(api, backend)
            assert settle(api, f"/volumes/{target}")["status"] == "available"
            assert api.delete(f"/volumes/{target}").status_code == 202
        else:
            target = _create(api, backend, 2, **({"source_volid": source} if action == "clone" else {}))
        time.sleep(0.05 * round_index)  # lands the kill at a different point of the operation each time
        storage_stack.processes[victim].stop(signal.SIGKILL)
        if api.get(f"/volumes/{target}").json().get("volume", {}).get("status") in ("creating", "deleting"):
            interrupted += 1
        final = settle(api, f"/volumes/{target}", timeout_s=120)
        assert final["status"] in ({"deleted"} if action == "delete" else {"available"}), final
        storage_stack.spawn(victim, ["ember-volume"], host=victim)  # back as the standby
        if final["status"] == "available":
            api.delete(f"/volumes/{target}")
            assert settle(api, f"/volumes/{target}")["status"] == "deleted"
        if backend == "lvm-1":
            assert _lvs(volume_group) == {f"volume-{source}"}
            assert "Target " not in _targets()
        else:
            assert _share_files(nfs_server) == {f"volume-{source}", f"volume-{source}.info"}
    assert interrupted >= 2, "the kills all came after the operations ended: this test tested nothing"
    api.delete(f"/volumes/{source}")
    assert settle(api, f"/volumes/{source}")["status"] == "deleted"
