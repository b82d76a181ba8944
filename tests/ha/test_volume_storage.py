"""The local cluster's real backends: lvm-1 (loop VG + tgtd) and nfs-1 (nfs-ganesha), two volume services each.

Runs last in the tier (it adds the two backends to the cluster the other tests used):
the storage servers show in ``status`` and come back after ``kill``/``start``; volumes,
snapshots and clones land on each backend by type; kill -9 of lvm-1's active during creates
leaves every volume available and no LV that no volume owns; and kill -9 of lvm-1's active
between attachment updates and their os-complete, while other attach cycles run, leaves no
attachment half-made, no volume attaching, detaching or reserved, and no target behind.
"""

from __future__ import annotations

import functools
import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from localcluster import layout
from localcluster.storage import LoopVolumeGroup, logical_volumes, tgt_targets

from tests import datapath
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


HOST = {"initiator": "iqn.1993-08.org.debian:01:ha-compute", "ip": "127.0.0.1", "host": "ha-compute",
        "platform": "x86_64", "os_type": "linux", "multipath": False}
V3_71 = {"OpenStack-API-Version": "volume 3.71"}


def _retrying(call: Any, attempts: int = 60) -> httpx.Response:
    """What Nova does with a retryable answer (503: the backend's active is changing)."""
    for _ in range(attempts):
        response: httpx.Response = call()
        if response.status_code != 503:
            return response
        time.sleep(0.5)
    return response


def test_kill_9_of_the_lvm_active_between_update_and_complete_leaves_nothing_half_made(
        storage_cluster: Cluster, api: httpx.Client) -> None:
    volumes = []
    for _ in range(6):
        volume = _create(api, "lvm-1")
        assert _settle(api, f"/volumes/{volume}") == "available"
        volumes.append(volume)
    updated = threading.Barrier(4 + 1)
    killed = threading.Event()
    failures: list[str] = []
    cycles: list[str] = []

    def attach(volume: str, *, wait_for_kill: bool) -> None:
        with httpx.Client(base_url=storage_cluster.endpoint, headers={**ADMIN, **V3_71}, timeout=60) as client:
            while True:
                reserved = client.post("/attachments", json={"attachment": {"volume_uuid": volume}})
                assert reserved.status_code == 200, reserved.text
                attachment_id = reserved.json()["attachment"]["id"]
                put = _retrying(functools.partial(client.put, f"/attachments/{attachment_id}",
                                                  json={"attachment": {"connector": HOST}}))
                assert put.status_code == 200, put.text
                if wait_for_kill:
                    updated.wait(timeout=120)
                    killed.wait(timeout=120)
                done = client.post(f"/attachments/{attachment_id}/action", json={"os-complete": {}})
                assert done.status_code == 204, done.text
                target = datapath.target_of(put.json()["attachment"]["connection_info"], initiator=str(HOST["initiator"]))
                assert datapath.can_open(target), "a completed attachment's host cannot log in"
                deleted = _retrying(functools.partial(client.delete, f"/attachments/{attachment_id}"))
                # HAProxy replays a 503 to the other api (retry-on all-retryable-errors), and by then the new
                # active may have finished the detach: such a replay answers 404; the checks below see it gone
                assert deleted.status_code in (200, 404), deleted.text
                cycles.append(volume)
                if wait_for_kill or (killed.is_set() and len(cycles) >= 8):
                    return

    def guarded(volume: str, wait_for_kill: bool) -> None:
        try:
            attach(volume, wait_for_kill=wait_for_kill)
        except (AssertionError, httpx.HTTPError, threading.BrokenBarrierError) as error:
            failures.append(f"{volume}: {error!r}")

    threads = [threading.Thread(target=guarded, args=(v, i < 4), daemon=True) for i, v in enumerate(volumes)]
    for thread in threads:
        thread.start()
    updated.wait(timeout=120)  # four attachments are connected and not completed
    rows = _status(storage_cluster)
    active = next(f"volume-lvm-1-{n}" for n in ("a", "b") if rows[f"volume-lvm-1-{n}"]["detail"].startswith("active"))
    storage_cluster.run("kill", active)
    killed.set()
    for thread in threads:
        thread.join(timeout=180)
    storage_cluster.run("start", active)
    assert not failures, failures
    assert all(not thread.is_alive() for thread in threads)
    for volume in volumes:
        shown = api.get(f"/volumes/{volume}").json()["volume"]
        assert (shown["status"], shown["attachments"]) == ("available", []), shown
    stuck = [v["status"] for v in api.get("/volumes/detail?all_tenants=1").json()["volumes"]
             if v["status"] in ("attaching", "detaching", "reserved")]
    assert stuck == []
    assert "Target " not in tgt_targets(layout.TGT_CONTROL_PORT), "a target outlived its attachments"
    for volume in volumes:
        api.delete(f"/volumes/{volume}")
    assert {_settle(api, f"/volumes/{v}") for v in volumes} == {"deleted"}
