"""Revert to snapshot and cascade delete on real storage: LVM (a loop-file volume group) and NFS (ganesha).

The revert brings back the snapshot's bytes on the LV itself; a cascade delete leaves no LV,
snapshot LV or file behind.
"""

from __future__ import annotations

import mmap
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from localcluster.storage import _lvm_config, logical_volumes

from bench.stack import SplitStack

pytestmark = pytest.mark.integration

ADMIN = {"X-Auth-Token": "admin:admin"}
FINAL = {"available", "error", "deleted", "error_deleting"}


@pytest.fixture(scope="module")
def api(storage_stack: SplitStack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=storage_stack.endpoint, headers=ADMIN, timeout=30) as client:
        for backend in ("lvm-1", "nfs-1"):
            created = client.post("/types", json={"volume_type": {
                "name": backend, "extra_specs": {"volume_backend_name": backend}}})
            assert created.status_code == 200, created.text
        yield client


def _settle(api: httpx.Client, path: str, timeout_s: float = 90) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    body: dict[str, Any] = {}
    while time.monotonic() < deadline:
        response = api.get(path)
        if response.status_code == 404:
            return {"status": "deleted"}
        body = next(iter(response.json().values()))
        if body["status"] in FINAL:
            return body
        time.sleep(0.1)
    raise AssertionError(f"{path} stayed {body.get('status')}")


def _volume(api: httpx.Client, backend: str) -> str:
    response = api.post("/volumes", json={"volume": {"size": 1, "volume_type": backend}})
    assert response.status_code == 202, response.text
    volume_id = str(response.json()["volume"]["id"])
    assert _settle(api, f"/volumes/{volume_id}")["status"] == "available"
    return volume_id


def _snapshot(api: httpx.Client, volume_id: str) -> str:
    response = api.post("/snapshots", json={"snapshot": {"volume_id": volume_id}})
    assert response.status_code == 202, response.text
    snapshot_id = str(response.json()["snapshot"]["id"])
    assert _settle(api, f"/snapshots/{snapshot_id}")["status"] == "available"
    return snapshot_id


def _lv_offset(volume_group: tuple[str, str], lv: str) -> int:
    """Where the (linear, one-segment) LV starts on the physical volume: the driver reaches LVs through loop
    devices over their extents here, so the test reads and writes the same bytes there."""
    vg, device = volume_group
    config = ["--config", _lvm_config(device), "--noheadings", "--units", "b", "--nosuffix"]
    ranges = _lvm("lvs", *config, "-o", "seg_pe_ranges", f"{vg}/{lv}")
    first_pe = int(ranges.split(":", 1)[1].split("-", 1)[0])
    extent = int(_lvm("vgs", *config, "-o", "vg_extent_size", vg))
    pe_start = int(_lvm("pvs", *config, "-o", "pe_start", device))
    return pe_start + first_pe * extent


def _lvm(*argv: str) -> str:
    return subprocess.run(list(argv), capture_output=True, text=True, check=True,
                          env={**os.environ, "LVM_SUPPRESS_FD_WARNINGS": "1"}).stdout.strip()


def _write(device: str, offset: int, data: bytes) -> None:
    fd = os.open(device, os.O_WRONLY | os.O_SYNC)
    try:
        os.pwrite(fd, data, offset)
    finally:
        os.close(fd)


def _read(device: str, offset: int, size: int) -> bytes:
    """``size`` bytes (at most 4 KiB) at ``offset`` as the device holds them, past the page cache."""
    buffer = mmap.mmap(-1, 4096)  # page-aligned, as O_DIRECT needs
    fd = os.open(device, os.O_RDONLY | os.O_DIRECT)
    try:
        os.preadv(fd, [buffer], offset)
    finally:
        os.close(fd)
    return bytes(buffer[:size])


def test_revert_on_lvm_brings_back_the_snapshots_bytes(api: httpx.Client,
                                                       volume_group: tuple[str, str]) -> None:
    device = volume_group[1]
    volume_id = _volume(api, "lvm-1")
    offset = _lv_offset(volume_group, f"volume-{volume_id}")
    _write(device, offset, b"before-revert!!!" * 256)
    older = _snapshot(api, volume_id)
    latest = _snapshot(api, volume_id)
    _write(device, offset, b"after-the-snap.." * 256)
    revert = {"revert": {"snapshot_id": older}}
    headers = {"OpenStack-API-Version": "volume 3.40"}
    refused = api.post(f"/volumes/{volume_id}/action", json=revert, headers=headers)
    assert refused.status_code == 400 and "latest" in refused.text
    accepted = api.post(f"/volumes/{volume_id}/action", json={"revert": {"snapshot_id": latest}}, headers=headers)
    assert accepted.status_code == 202, accepted.text
    assert _settle(api, f"/volumes/{volume_id}")["status"] == "available"
    assert _read(device, _lv_offset(volume_group, f"volume-{volume_id}"), 4096) == b"before-revert!!!" * 256

    assert api.delete(f"/volumes/{volume_id}", params={"cascade": "true"}).status_code == 202
    assert _settle(api, f"/volumes/{volume_id}")["status"] == "deleted"
    for snapshot_id in (older, latest):
        assert _settle(api, f"/snapshots/{snapshot_id}")["status"] == "deleted"
    assert logical_volumes(*volume_group) == set()


def test_cascade_delete_on_nfs_leaves_no_file(api: httpx.Client, nfs_server: list[Path]) -> None:
    volume_id = _volume(api, "nfs-1")
    snapshots = [_snapshot(api, volume_id) for _ in range(2)]
    assert any(volume_id in name for export in nfs_server for name in os.listdir(export))
    assert api.delete(f"/volumes/{volume_id}", params={"cascade": "true"}).status_code == 202
    assert _settle(api, f"/volumes/{volume_id}")["status"] == "deleted"
    for snapshot_id in snapshots:
        assert _settle(api, f"/snapshots/{snapshot_id}")["status"] == "deleted"
    assert not [name for export in nfs_server for name in os.listdir(export) if volume_id in name]
