"""deploy/local-cluster up --auth keystone, end to end: the cluster's Keystone (its database on Galera),
ember's api services validating its tokens behind HAProxy, both block-storage catalog entries at HAProxy's
address, and the openrc files of the personas, which a client logs in with and reaches ember through.

One cluster (file-1 backend, the lightest) in a fresh state folder; ``down`` at the end.
"""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from keystoneauth1 import session
from keystoneauth1.identity import v3

pytestmark = pytest.mark.keystone

LAUNCHER = Path(__file__).resolve().parents[2] / "deploy" / "local-cluster"
HAPROXY_API = "http://127.0.0.1:8776"


def launcher(state: Path, *args: str, timeout_s: float = 900) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([str(LAUNCHER), *args, "--state", str(state)], capture_output=True, text=True,
                            timeout=timeout_s, check=False)
    if result.returncode != 0:
        pytest.fail(f"local-cluster {' '.join(args)} failed (rc {result.returncode}):\n"
                    f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
    return result


@pytest.fixture(scope="module")
def state() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="lck-", dir="/tmp"))  # mariadbd (user mysql) must reach it
    path.chmod(0o755)
    try:
        began = time.monotonic()
        out = launcher(path, "up", "--auth", "keystone", "--volume-backends", "file-1").stdout
        print(f"up --auth keystone took {time.monotonic() - began:.1f}s:\n{out[-3000:]}")
        yield path
    finally:
        subprocess.run([str(LAUNCHER), "down", "--state", str(path)], capture_output=True, timeout=300,
                       check=False)
        shutil.rmtree(path, ignore_errors=True)


def _openrc(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        if line.startswith("export "):
            key, _, value = line.removeprefix("export ").partition("=")
            values[key] = shlex.split(value)[0] if value else ""
    return values


def _login(openrc: dict[str, str]) -> session.Session:
    auth = v3.Password(auth_url=openrc["OS_AUTH_URL"], username=openrc["OS_USERNAME"],
                       password=openrc["OS_PASSWORD"], project_name=openrc["OS_PROJECT_NAME"],
                       user_domain_name=openrc["OS_USER_DOMAIN_NAME"],
                       project_domain_name=openrc["OS_PROJECT_DOMAIN_NAME"])
    return session.Session(auth=auth)


def test_status_names_keystone_and_the_openrc_folder(state: Path) -> None:
    rows: dict[str, dict[str, Any]] = {r["name"]: r for r in json.loads(launcher(state, "status", "--json").stdout)}
    keystone = rows["keystone"]
    assert keystone["up"], keystone
    assert "http://127.0.0.1:5000/v3" in keystone["detail"] and "identity/keystone" in keystone["detail"]
    folder = state / "identity" / "keystone"
    for name in ("admin-openrc", "demo-member-openrc", "demo-reader-openrc"):
        assert (folder / name).stat().st_mode & 0o077 == 0, name  # passwords: the owner's only
    assert "auth_strategy = keystone" in (state / "ember" / "ember.conf").read_text()


def test_catalog_has_both_entries_at_haproxy(state: Path) -> None:
    member = _login(_openrc(state / "identity" / "keystone" / "demo-member-openrc"))
    project_id = member.get_project_id()
    assert member.get_endpoint(service_type="block-storage", interface="public") == f"{HAPROXY_API}/v3"
    assert member.get_endpoint(service_type="volumev3", interface="public") == f"{HAPROXY_API}/v3/{project_id}"


def test_personas_reach_ember_through_the_catalog_and_anonymous_callers_do_not(state: Path) -> None:
    folder = state / "identity" / "keystone"
    member = _login(_openrc(folder / "demo-member-openrc"))
    reader = _login(_openrc(folder / "demo-reader-openrc"))
    admin = _login(_openrc(folder / "admin-openrc"))
    endpoint = {"service_type": "block-storage", "interface": "public"}
    created = member.post("/volumes", json={"volume": {"size": 1, "name": "lc-keystone"}},
                          endpoint_filter=endpoint, raise_exc=False)
    assert created.status_code == 202, created.text
    volume_id = created.json()["volume"]["id"]
    try:
        assert reader.get(f"/volumes/{volume_id}", endpoint_filter=endpoint).json()["volume"]["name"] == "lc-keystone"
        refused = reader.post("/volumes", json={"volume": {"size": 1}}, endpoint_filter=endpoint, raise_exc=False)
        assert refused.status_code == 403
        pools = admin.get("/scheduler-stats/get_pools", endpoint_filter=endpoint).json()["pools"]
        assert any("@file-1#" in p["name"] for p in pools), pools
        anonymous = httpx.get(f"{HAPROXY_API}/v3/volumes", timeout=10)
        assert anonymous.status_code == 401
        assert "127.0.0.1:5000" in anonymous.headers["www-authenticate"]
        assert httpx.get(f"{HAPROXY_API}/v3/volumes", headers={"X-Auth-Token": "admin:admin"},
                         timeout=10).status_code == 401  # noauth tokens mean nothing here
    finally:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            shown = member.get(f"/volumes/{volume_id}", endpoint_filter=endpoint, raise_exc=False)
            if shown.status_code == 200 and shown.json()["volume"]["status"] in ("available", "error"):
                break
            time.sleep(0.5)
        member.delete(f"/volumes/{volume_id}", endpoint_filter=endpoint, raise_exc=False)
