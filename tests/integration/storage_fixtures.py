"""Fixtures for the driver tests: a tgtd, a volume group on a loop file, and nfs-ganesha, all real,
and ember itself in front of them (``storage_stack``: lvm-1 and nfs-1, two volume services each).

Each server is the local cluster's own component (deploy/localcluster/storage.py) on ports
of its own, so a test run and a local cluster can share the machine; ganesha and rpcbind
are one per machine, so the NFS tests use the cluster's ports and must not run beside it.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from localcluster.storage import Ganesha, LoopVolumeGroup, RpcBind, TgtDaemon
from oslo_config import cfg

from bench.stack import SplitStack
from drivers import options as driver_options

TGT_PORT, TGT_CONTROL = 3271, 11


def backend_conf(state: Path, backend: str, **overrides: object) -> cfg.ConfigOpts:
    return driver_options.standalone_conf(str(state), backend, **overrides)


@pytest.fixture(scope="module")
def tgtd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TgtDaemon]:
    daemon = TgtDaemon(tmp_path_factory.mktemp("tgt"), "tgtd", port=TGT_PORT, control=TGT_CONTROL)
    daemon.stop()  # one an interrupted run left behind
    daemon.start()
    yield daemon
    daemon.stop()


@pytest.fixture(scope="module")
def volume_group(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(vg name, physical volume device) of a fresh 16 GiB (sparse) volume group."""
    vg = LoopVolumeGroup(tmp_path_factory.mktemp("lvm") / "pv.img", f"ember-it-{uuid.uuid4().hex[:8]}", 16)
    device = vg.create()
    yield vg.vg, device
    vg.destroy()


@pytest.fixture(scope="module")
def nfs_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Path]]:
    """Two folders exported by a running nfs-ganesha on 127.0.0.1 (with rpcbind)."""
    base = tmp_path_factory.mktemp("nfs")
    exports = [base / "export1", base / "export2"]
    rpcbind = RpcBind(base)
    rpcbind.start()
    server = Ganesha(base, "ganesha", exports=exports)
    server.start()
    yield exports
    server.stop()
    rpcbind.stop()


@pytest.fixture(scope="module")
def storage_stack(tgtd: TgtDaemon, volume_group: tuple[str, str], nfs_server: list[Path],
                  tmp_path_factory: pytest.TempPathFactory) -> Iterator[SplitStack]:
    """A started ember with lvm-1 (this module's VG and tgtd) and nfs-1 (its ganesha shares)."""
    vg, device = volume_group
    shares = tmp_path_factory.mktemp("nfs-config") / "nfs_shares"
    shares.write_text("".join(f"127.0.0.1:{export}\n" for export in nfs_server))
    sections = {
        "lvm-1": (f"volume_driver = lvm\nvolume_group = {vg}\nlvm_devices = {device}\nlvm_activation = loop\n"
                  f"target_port = {TGT_PORT}\ntgt_control_port = {TGT_CONTROL}\n"),
        "nfs-1": f"volume_driver = nfs\nnfs_shares_config = {shares}\nnfs_qemu_backing_urls = true\n",
    }
    running = SplitStack(backend_sections=sections, volume_services=2, quota_volumes=-1).start()
    yield running
    running.close()


def active_volume_service(api: httpx.Client, backend: str) -> str:
    """The node of ``backend``'s active volume service, as os-services shows it."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for service in api.get("/os-services?binary=cinder-volume&ha=true").json()["services"]:
            if service["host"].endswith(f"@{backend}") and service.get("ha_role") == "active" \
                    and service["state"] == "up":
                return str(service.get("node") or "")
        time.sleep(0.2)
    raise AssertionError(f"no active volume service for {backend}")


FINAL_STATUSES = {"available", "error", "deleted", "error_deleting"}


@pytest.fixture(scope="module")
def typed_storage_api(storage_stack: SplitStack) -> Iterator[httpx.Client]:
    """An admin client of ``storage_stack`` with a volume type per backend, named after it."""
    with httpx.Client(base_url=storage_stack.endpoint, headers={"X-Auth-Token": "admin:admin"}, timeout=30) as client:
        for backend in ("lvm-1", "nfs-1"):
            created = client.post("/types", json={"volume_type": {
                "name": backend, "extra_specs": {"volume_backend_name": backend}}})
            assert created.status_code == 200, created.text
        yield client


def settle(api: httpx.Client, path: str, timeout_s: float = 90) -> dict[str, Any]:
    """The resource at ``path`` once its status is final (``{"status": "deleted"}`` once it is gone)."""
    deadline = time.monotonic() + timeout_s
    body: dict[str, Any] = {}
    while time.monotonic() < deadline:
        response = api.get(path)
        if response.status_code == 404:
            return {"status": "deleted"}
        body = next(iter(response.json().values()))
        if body["status"] in FINAL_STATUSES:
            return body
        time.sleep(0.1)
    raise AssertionError(f"{path} stayed {body.get('status')}")
