"""Real clients with password auth through Keystone's catalog drive ember's life cycle: python-cinderclient
(its ``cinder`` CLI and the library), openstacksdk and the ``openstack`` CLI (python-openstackclient).

Each logs in to the tier's Keystone 30 as demo's member (the admin where it says so) and finds ember only
through the catalog: ``block-storage`` (``<ember>/v3``, the project from the token) and ``volumev3``
(``<ember>/v3/%(project_id)s``). Create, list, show, extend, snapshot create and delete, an attachment
with a connector (create, complete, delete) and delete; ``openstack quota show`` and ``limits show``,
which resolve project names through Keystone.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import openstack
import pytest
from cinderclient import client as cinder_client
from keystoneauth1 import session
from keystoneauth1.identity import v3
from localcluster.keystone import Keystone

from bench.stack import EmbeddedStack

pytestmark = pytest.mark.keystone

BIN = Path(sys.executable).parent
SERVER = "6b1f3c4e-3a51-4c59-9a44-0c1f1a0a1b01"
CONNECTOR: dict[str, Any] = {"initiator": "iqn.1993-08.org.debian:01:keystone-clients", "host": "compute-k", "ip": "127.0.0.1",
             "platform": "x86_64", "os_type": "linux", "multipath": False}
TIMEOUT_S = 60.0


@pytest.fixture(scope="module")
def ember(keystone_ember: EmbeddedStack) -> EmbeddedStack:
    return keystone_ember


def _openrc_env(keystone: Keystone, persona: str) -> dict[str, str]:
    """The process environment of ``. <persona>-openrc``: no other OS_* variable, no clouds.yaml."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    for line in keystone.openrc(persona).read_text().splitlines():
        if line.startswith("export "):
            key, _, value = line.removeprefix("export ").partition("=")
            env[key] = value
    env["OS_CLIENT_CONFIG_FILE"] = "/dev/null"
    return env


def _run(argv: list[str], env: dict[str, str]) -> str:
    done = subprocess.run([str(BIN / argv[0]), *argv[1:]], env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, f"{' '.join(argv)} -> rc {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _until(what: str, probe: Callable[[], Any]) -> Any:
    """``probe()`` until it answers something truthy."""
    deadline = time.monotonic() + TIMEOUT_S
    while True:
        found = probe()
        if found:
            return found
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def _password_session(keystone: Keystone, persona: str) -> session.Session:
    creds = keystone.credentials(persona)
    return session.Session(auth=v3.Password(
        auth_url=creds.auth_url, username=creds.username, password=creds.password,
        project_name=creds.project_name, user_domain_name=creds.user_domain_name,
        project_domain_name=creds.project_domain_name))


# --- the cinder CLI ----------------------------------------------------------------------------------------

def _cinder_json(output: str) -> dict[str, str]:
    """cinder's Property/Value table as a dict."""
    rows: dict[str, str] = {}
    for line in output.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 2 and cells[0] and cells[0] != "Property":
            rows[cells[0]] = cells[1]
    return rows


@pytest.mark.parametrize("service_type", ["block-storage", "volumev3"])
def test_cinder_cli_life_cycle_through_the_catalog(ember: EmbeddedStack, keystone: Keystone,
                                                   service_type: str) -> None:
    env = {**_openrc_env(keystone, "demo-member"), "OS_VOLUME_API_VERSION": "3.71"}

    def cinder(*args: str) -> str:
        return _run(["cinder", "--service-type", service_type, *args], env)

    name = f"cli-{service_type}"
    volume_id = _cinder_json(cinder("create", "--name", name, "1"))["id"]
    _until("the volume", lambda: _cinder_json(cinder("show", volume_id))["status"] == "available")
    assert volume_id in cinder("list") and name in cinder("list")
    cinder("extend", name, "2")
    _until("the extend", lambda: _cinder_json(cinder("show", volume_id)).get("size") == "2")
    snapshot_id = _cinder_json(cinder("snapshot-create", "--name", f"{name}-snap", name))["id"]
    _until("the snapshot", lambda: _cinder_json(cinder("snapshot-show", snapshot_id))["status"] == "available")
    cinder("snapshot-delete", snapshot_id)
    _until("the snapshot's delete", lambda: snapshot_id not in cinder("snapshot-list"))
    cinder("attachment-create", "--connect", "True", "--initiator", str(CONNECTOR["initiator"]), "--ip",
           str(CONNECTOR["ip"]), "--host", str(CONNECTOR["host"]), "--mode", "rw", volume_id, SERVER)
    attachment_id = next(line.split("|")[1].strip() for line in cinder("attachment-list").splitlines()
                         if volume_id in line)
    cinder("attachment-complete", attachment_id)
    shown = _cinder_json(cinder("show", volume_id))
    assert shown["status"] == "in-use" and SERVER in shown["attached_servers"]
    cinder("attachment-delete", attachment_id)
    assert _cinder_json(cinder("show", volume_id))["status"] == "available"
    cinder("delete", volume_id)
    _until("the delete", lambda: volume_id not in cinder("list"))


# --- the cinderclient library --------------------------------------------------------------------------------

@pytest.mark.parametrize("service_type", ["block-storage", "volumev3"])
def test_cinderclient_library_life_cycle_through_the_catalog(ember: EmbeddedStack, keystone: Keystone,
                                                             service_type: str) -> None:
    client: Any = cinder_client.Client("3.71", session=_password_session(keystone, "demo-member"),
                                       service_type=service_type, region_name=keystone.region)
    assert client.client.get_endpoint().rstrip("/").split("/v3")[0] == ember.endpoint.removesuffix("/v3")
    volume = client.volumes.create(1, name=f"lib-{service_type}")
    _until("the volume", lambda: client.volumes.get(volume.id).status == "available")
    assert volume.id in {v.id for v in client.volumes.list()}
    client.volumes.extend(volume, 2)
    _until("the extend", lambda: client.volumes.get(volume.id).size == 2)
    snapshot = client.volume_snapshots.create(volume.id, name="lib-snap")
    _until("the snapshot", lambda: client.volume_snapshots.get(snapshot.id).status == "available")
    client.volume_snapshots.delete(snapshot)
    _until("the snapshot's delete", lambda: snapshot.id not in {s.id for s in client.volume_snapshots.list()})
    attachment = client.attachments.create(volume.id, CONNECTOR, SERVER, "rw")  # a dict, not a resource
    assert attachment["connection_info"]["driver_volume_type"]
    client.attachments.complete(attachment["id"])
    assert client.volumes.get(volume.id).status == "in-use"
    client.attachments.delete(attachment["id"])
    assert client.volumes.get(volume.id).status == "available"
    client.volumes.delete(volume)
    _until("the delete", lambda: volume.id not in {v.id for v in client.volumes.list()})


# --- openstacksdk --------------------------------------------------------------------------------------------

@pytest.fixture
def sdk(keystone: Keystone) -> Iterator[openstack.connection.Connection]:
    creds = keystone.credentials("demo-member")
    conn = openstack.connect(auth_url=creds.auth_url, username=creds.username, password=creds.password,
                             project_name=creds.project_name, user_domain_name=creds.user_domain_name,
                             project_domain_name=creds.project_domain_name, region_name=keystone.region,
                             load_yaml_config=False, load_envvars=False)
    yield conn
    conn.close()


def test_openstacksdk_life_cycle_through_the_catalog(ember: EmbeddedStack, sdk: openstack.connection.Connection) -> None:
    storage: Any = sdk.block_storage
    assert str(sdk.endpoint_for("block-storage")).rstrip("/") == ember.endpoint
    volume = storage.create_volume(size=1, name="sdk")
    volume = storage.wait_for_status(volume, status="available", failures=["error"], wait=60, interval=0.2)
    assert volume.project_id == sdk.current_project_id
    assert volume.id in {v.id for v in storage.volumes()}
    storage.extend_volume(volume.id, 2)
    _until("the extend", lambda: storage.get_volume(volume.id).size == 2)
    storage.wait_for_status(volume, status="available", failures=["error"], wait=60, interval=0.2)
    snapshot = storage.create_snapshot(volume_id=volume.id, name="sdk-snap")
    snapshot = storage.wait_for_status(snapshot, status="available", failures=["error"], wait=60, interval=0.2)
    storage.delete_snapshot(snapshot.id)
    storage.wait_for_delete(snapshot, wait=60, interval=0.2)
    attachment = storage.create_attachment(volume.id, connector=CONNECTOR, instance=SERVER)
    assert attachment.connection_info["driver_volume_type"]
    storage.complete_attachment(attachment.id)
    assert storage.get_volume(volume.id).status == "in-use"
    storage.delete_attachment(attachment.id)
    assert storage.get_volume(volume.id).status == "available"
    storage.delete_volume(volume)
    storage.wait_for_delete(volume, wait=60, interval=0.2)


# --- the openstack CLI ---------------------------------------------------------------------------------------

def _osc(env: dict[str, str], *args: str) -> Any:
    output = _run(["openstack", *args, "-f", "json"], env)
    return json.loads(output) if output.strip() else None


def test_openstack_cli_life_cycle_through_the_catalog(ember: EmbeddedStack, keystone: Keystone) -> None:
    env = {**_openrc_env(keystone, "demo-member"), "OS_VOLUME_API_VERSION": "3.71"}
    name = f"osc-{uuid.uuid4().hex[:6]}"
    volume = _osc(env, "volume", "create", "--size", "1", name)
    _until("the volume", lambda: _osc(env, "volume", "show", name)["status"] == "available")
    assert name in {v["Name"] for v in _osc(env, "volume", "list")}
    _run(["openstack", "volume", "set", "--size", "2", name], env)
    _until("the extend", lambda: _osc(env, "volume", "show", name)["size"] == 2)
    _until("available again", lambda: _osc(env, "volume", "show", name)["status"] == "available")
    _osc(env, "volume", "snapshot", "create", "--volume", name, f"{name}-snap")
    _until("the snapshot", lambda: _osc(env, "volume", "snapshot", "show", f"{name}-snap")["status"] == "available")
    _run(["openstack", "volume", "snapshot", "delete", f"{name}-snap"], env)
    _until("the snapshot's delete", lambda: not _osc(env, "volume", "snapshot", "list"))
    # `openstack volume attachment create` looks the server up in Nova, which this cloud has not: the
    # attachment is made as Nova makes it (openstacksdk), then completed, shown and deleted with the CLI
    conn = openstack.connection.Connection(session=_password_session(keystone, "demo-member"),
                                           region_name=keystone.region)
    storage: Any = conn.block_storage
    made = storage.create_attachment(volume["id"], connector=CONNECTOR, instance=SERVER)
    _run(["openstack", "volume", "attachment", "complete", made.id], env)
    assert _osc(env, "volume", "attachment", "show", made.id)["Status"] == "attached"
    assert _osc(env, "volume", "show", name)["status"] == "in-use"
    assert made.id in {a["ID"] for a in _osc(env, "volume", "attachment", "list")}
    _run(["openstack", "volume", "attachment", "delete", made.id], env)
    assert _osc(env, "volume", "show", name)["status"] == "available"
    _run(["openstack", "volume", "delete", name], env)
    _until("the delete", lambda: name not in {v["Name"] for v in _osc(env, "volume", "list")})


def _limits(env: dict[str, str], *args: str) -> dict[str, int]:
    return {row["Name"]: row["Value"] for row in _osc(env, "limits", "show", "--absolute", *args)}


def test_openstack_quota_and_limits_show(ember: EmbeddedStack, keystone: Keystone,
                                         logins: dict[str, tuple[str, str]]) -> None:
    member = {**_openrc_env(keystone, "demo-member"), "OS_VOLUME_API_VERSION": "3.71"}
    admin = {**_openrc_env(keystone, "admin"), "OS_VOLUME_API_VERSION": "3.71"}
    name = f"quota-{uuid.uuid4().hex[:6]}"
    _osc(member, "volume", "create", "--size", "3", name)
    _until("the volume", lambda: _osc(member, "volume", "show", name)["status"] == "available")
    try:
        # the admin names the project by name: openstack resolves it in Keystone
        _run(["openstack", "quota", "set", "--volumes", "25", "--gigabytes", "400", "demo"], admin)
        quota = {row["Resource"]: row["Limit"] for row in _osc(admin, "quota", "show", "--volume", "demo")}
        assert quota["volumes"] == 25 and quota["gigabytes"] == 400
        # demo's member reads its own project's quota (no project named: the token's)
        own = {row["Resource"]: row["Limit"] for row in _osc(member, "quota", "show")}
        assert own["volumes"] == 25 and own["snapshots"] == -1
        mine = _limits(member)
        assert mine["max_total_volumes"] == 25 and mine["max_total_volume_gigabytes"] == 400
        assert mine["total_volumes_used"] >= 1 and mine["total_gigabytes_used"] >= 3
        # the admin's limits of demo (project_id at 3.39) are demo's, not the admin project's
        assert _limits(admin, "--project", "demo") == mine
        assert _limits(admin)["max_total_volumes"] == -1
    finally:
        _run(["openstack", "quota", "delete", "--volume", "demo"], admin)
        _run(["openstack", "volume", "delete", name], member)
