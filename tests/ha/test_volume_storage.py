"""The local cluster's real backends: lvm-1 (loop VG + tgtd) and nfs-1 (nfs-ganesha), two volume services each.

Runs last in the tier (it adds the two backends to the cluster the other tests used):
the storage servers show in ``status`` and come back after ``kill``/``start``; volumes,
snapshots and clones land on each backend by type; kill -9 of lvm-1's active during creates
leaves every volume available and no LV that no volume owns.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from localcluster.storage import LoopVolumeGroup, logical_volumes

from tests.ha.conftest import Cluster

pytestmark = pytest.mark.ha

ADMIN = {"X-Auth-Token": "admin:admin"}
BACKENDS = ("lvm-1", "nfs-1")
FINAL = {"available", "error", "deleted"}


@pytest.fixture(scope="module")
def storage_cluster(cluster: Cluster) -> Iterator[Cluster]:
    cluster.run("up", "--volume-backends", "file-1,lvm-1,nfs-1", timeout_s=600)
    yield cluster


@pytest.fixture(scope="module")
def api(storage_cluster: Cluster) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=storage_cluster.endpoint, headers=ADMIN, timeout=30) as client:
        for backend in BACKENDS:
            client.post("/types", json={"volume_type": {"name": backend,
                                                        "extra_specs": {"volume_backend_name": backend}}})
        yield client


def _status(cluster: Cluster) -> dict[str, dict[str, Any]]:
    return {row["name"]: row for row in json.loads(cluster.run("status", "--json", check=False))}


def _settle(api: httpx.Client, path: str, timeout_s: float = 120) -> str:
    deadline = time.monotonic() + timeout_s
    status = "?"
    while time.monotonic() < deadline:
        response = api.get(path)
        status = "deleted" if response.status_code == 404 else next(iter(response.json().values()))["status"]
        if status in FINAL:
            return status
        time.sleep(0.2)
    raise AssertionError(f"{path} stayed {status}")


def _create(api: httpx.Client, backend: str, **extra: str) -> str:
    response = api.post("/volumes", json={"volume": {"size": 1, "volume_type": backend, **extra}})
    assert response.status_code == 202, response.text
    return str(response.json()["volume"]["id"])


def _lvs(cluster: Cluster) -> set[str]:
    group = LoopVolumeGroup(cluster.state / "storage" / "lvm" / "lvm-1.img", "ember-lvm-1", 0)
    device = group.device()
    assert device is not None
    return logical_volumes(group.vg, device)


def _share(cluster: Cluster) -> Path:
    return cluster.state / "storage" / "nfs" / "nfs-1"


def test_storage_servers_and_volume_services_are_up(storage_cluster: Cluster) -> None:
    rows = _status(storage_cluster)
    assert all(rows[name]["up"] for name in ("tgtd", "rpcbind", "ganesha")), rows
    for backend in BACKENDS:
        roles = [rows[f"volume-{backend}-{node}"]["detail"].split()[0] for node in ("a", "b")]
        assert sorted(roles) == ["active", "standby"], rows


def test_volumes_snapshots_and_clones_land_on_each_backend(storage_cluster: Cluster, api: httpx.Client) -> None:
    for backend in BACKENDS:
        volume = _create(api, backend)
        assert _settle(api, f"/volumes/{volume}") == "available"
        snapshot = api.post("/snapshots", json={"snapshot": {"volume_id": volume}}).json()["snapshot"]["id"]
        assert _settle(api, f"/snapshots/{snapshot}") == "available"
        copies = [_create(api, backend, snapshot_id=snapshot), _create(api, backend, source_volid=volume)]
        assert [_settle(api, f"/volumes/{c}") for c in copies] == ["available", "available"]
        api.delete(f"/snapshots/{snapshot}")
        assert _settle(api, f"/snapshots/{snapshot}") == "deleted"
        for doomed in (volume, *copies):
            api.delete(f"/volumes/{doomed}")
        assert {_settle(api, f"/volumes/{v}") for v in (volume, *copies)} == {"deleted"}
    assert _lvs(storage_cluster) == set() and os.listdir(_share(storage_cluster)) == []


def test_kill_9_of_the_lvm_active_during_creates_leaves_no_orphan(storage_cluster: Cluster, api: httpx.Client) -> None:
    rows = _status(storage_cluster)
    active = next(f"volume-lvm-1-{n}" for n in ("a", "b") if rows[f"volume-lvm-1-{n}"]["detail"].startswith("active"))
    volumes = [_create(api, "lvm-1") for _ in range(5)]
    storage_cluster.run("kill", active)
    assert [_settle(api, f"/volumes/{v}") for v in volumes] == ["available"] * 5
    assert _lvs(storage_cluster) == {f"volume-{v}" for v in volumes}
    storage_cluster.run("start", active)
    for volume in volumes:
        api.delete(f"/volumes/{volume}")
    assert {_settle(api, f"/volumes/{v}") for v in volumes} == {"deleted"}
    assert _lvs(storage_cluster) == set()


@pytest.mark.parametrize("server", ["tgtd", "ganesha"])
def test_a_killed_storage_server_starts_again_and_serves(storage_cluster: Cluster, api: httpx.Client,
                                                         server: str) -> None:
    storage_cluster.run("kill", server)
    assert not _status(storage_cluster)[server]["up"]
    storage_cluster.run("start", server)
    assert _status(storage_cluster)[server]["up"]
    backend = "lvm-1" if server == "tgtd" else "nfs-1"
    volume = _create(api, backend)
    assert _settle(api, f"/volumes/{volume}") == "available"
    # an nfs snapshot's overlay names its backing file by nfs:// URL: the restarted ganesha must answer
    snapshot = api.post("/snapshots", json={"snapshot": {"volume_id": volume}}).json()["snapshot"]["id"]
    assert _settle(api, f"/snapshots/{snapshot}") == "available"
    api.delete(f"/snapshots/{snapshot}")
    assert _settle(api, f"/snapshots/{snapshot}") == "deleted"
    api.delete(f"/volumes/{volume}")
    assert _settle(api, f"/volumes/{volume}") == "deleted"
