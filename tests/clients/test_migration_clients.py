"""Volume migration and retype with migration_policy on-demand, driven by python-cinderclient, the openstack
CLI, openstacksdk and the ember CLI against an ember-all with two file backends (file-1, file-2)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openstack
import pytest

from bench.stack import EmbeddedStack
from tests.clients.test_cinderclient import cinder, field

pytestmark = pytest.mark.clients

OPENSTACK = str(Path(sys.executable).parent / "openstack")
EMBER = str(Path(sys.executable).parent / "ember")
ADMIN = {"X-Auth-Token": "admin:admin", "OpenStack-API-Version": "volume 3.71"}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedStack]:
    shares = tmp_path_factory.mktemp("migration-shares")
    sections = {name: f"volume_driver = file\nfile_share_path = {shares / name}\nfile_capacity_gb = 100\n"
                for name in ("file-1", "file-2")}
    running = EmbeddedStack(backend_sections=sections, quota_volumes=-1).start()
    yield running
    running.close()


@pytest.fixture(scope="module")
def api(stack: EmbeddedStack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.endpoint, headers=ADMIN, timeout=30) as client:
        for backend in ("file-1", "file-2"):
            created = client.post("/types", json={"volume_type": {
                "name": f"on-{backend}", "extra_specs": {"volume_backend_name": backend}}})
            assert created.status_code == 200, created.text
        yield client


@pytest.fixture(scope="module")
def pools(api: httpx.Client) -> dict[str, str]:
    """backend -> its pool's name (host@backend#pool)."""
    names = [p["name"] for p in api.get("/scheduler-stats/get_pools").json()["pools"]]
    return {name.split("@")[1].split("#")[0]: name for name in names}


def _volume(api: httpx.Client, backend: str) -> str:
    created = api.post("/volumes", json={"volume": {"size": 1, "volume_type": f"on-{backend}"}})
    assert created.status_code == 202, created.text
    volume_id = str(created.json()["volume"]["id"])
    _until(api, volume_id, lambda v: v["status"] == "available")
    return volume_id


def _until(api: httpx.Client, volume_id: str, done: Any, timeout_s: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    volume: dict[str, Any] = {}
    while time.monotonic() < deadline:
        volume = api.get(f"/volumes/{volume_id}").json()["volume"]
        if done(volume):
            return volume
        assert volume["migration_status"] != "error", volume
        time.sleep(0.2)
    raise AssertionError(f"volume {volume_id} stayed {volume.get('status')}/{volume.get('migration_status')}")


def _on(api: httpx.Client, volume_id: str, pool: str) -> dict[str, Any]:
    return _until(api, volume_id, lambda v: v["status"] == "available" and v["os-vol-host-attr:host"] == pool
                  and v["migration_status"] == "success")


def _openstack(stack: EmbeddedStack, *args: str) -> str:
    argv = [OPENSTACK, "--os-auth-type", "admin_token", "--os-endpoint", stack.endpoint, "--os-token",
            "admin:admin", "--os-volume-api-version", "3.71", *args]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, f"openstack {' '.join(args)}: {result.stdout}{result.stderr}"
    return result.stdout


def test_cinder_retype_on_demand_and_migrate(stack: EmbeddedStack, api: httpx.Client,
                                             pools: dict[str, str]) -> None:
    volume_id = _volume(api, "file-1")
    cinder(stack, "retype", "--migration-policy", "on-demand", volume_id, "on-file-2", version="3.71")
    moved = _on(api, volume_id, pools["file-2"])
    assert moved["volume_type"] == "on-file-2"
    assert field(cinder(stack, "show", volume_id, version="3.71"), "migration_status") == "success"
    refused = cinder(stack, "migrate", volume_id, pools["file-2"], version="3.71", check=False)
    assert "Destination host must be different than the current host" in refused
    cinder(stack, "migrate", "--force-host-copy", "True", volume_id, pools["file-1"], version="3.71")
    back = _on(api, volume_id, pools["file-1"])
    assert back["volume_type"] == "on-file-2"  # a migration keeps the type
    assert api.delete(f"/volumes/{volume_id}").status_code == 202


def test_openstack_volume_set_type_on_demand_and_migrate(stack: EmbeddedStack, api: httpx.Client,
                                                          pools: dict[str, str]) -> None:
    volume_id = _volume(api, "file-1")
    _openstack(stack, "volume", "set", "--type", "on-file-2", "--retype-policy", "on-demand", volume_id)
    assert _on(api, volume_id, pools["file-2"])["volume_type"] == "on-file-2"
    _openstack(stack, "volume", "migrate", "--host", pools["file-1"], volume_id)
    _on(api, volume_id, pools["file-1"])
    shown = json.loads(_openstack(stack, "volume", "show", volume_id, "-f", "json"))
    assert shown["os-vol-mig-status-attr:migstat"] == "success"
    assert api.delete(f"/volumes/{volume_id}").status_code == 202


def test_openstacksdk_retype_and_migrate(stack: EmbeddedStack, api: httpx.Client, pools: dict[str, str]) -> None:
    conn = openstack.connect(auth_type="admin_token", endpoint=stack.endpoint, token="admin:admin",
                             block_storage_endpoint_override=stack.endpoint, block_storage_api_version="3")
    volume_id = _volume(api, "file-2")
    conn.block_storage.retype_volume(volume_id, "on-file-1", migration_policy="on-demand")
    assert _on(api, volume_id, pools["file-1"])["volume_type"] == "on-file-1"
    conn.block_storage.migrate_volume(volume_id, host=pools["file-2"], force_host_copy=True)
    _on(api, volume_id, pools["file-2"])
    assert conn.block_storage.get_volume(volume_id).migration_status == "success"
    conn.block_storage.delete_volume(volume_id)


def test_ember_cli_retype_and_migrate_wait(stack: EmbeddedStack, api: httpx.Client, pools: dict[str, str]) -> None:
    volume_id = _volume(api, "file-1")

    def ember(*args: str) -> str:
        result = subprocess.run([EMBER, "--os-endpoint", stack.endpoint, "--os-user-id", "admin",
                                 "--os-project-id", "admin", *args],
                                capture_output=True, text=True, timeout=120, check=False)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    retyped = ember("volume", "retype", volume_id, "on-file-2", "--migration-policy", "on-demand", "--wait")
    assert f"retyped to on-file-2, now on {pools['file-2']}" in retyped
    assert f"migrated to {pools['file-1']}" in ember("volume", "migrate", volume_id, "--host", pools["file-1"],
                                                       "--wait")
    api.delete(f"/volumes/{volume_id}")
