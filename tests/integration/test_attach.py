"""Attaching volumes the way Nova does, through ember's API, to a host that reads and writes them for real.

lvm-1: the connection_info is an iSCSI target of this module's tgtd, logged into with libiscsi
(qemu's iscsi driver) under the connector's initiator name and the CHAP credentials it carries.
nfs-1: the file on nfs-ganesha, opened through qemu's nfs:// client. Both behind a SplitStack
(MariaDB, RabbitMQ, two volume services per backend).
"""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from localcluster.storage import tgt_targets

from bench.stack import BIN, SplitStack
from tests import datapath
from tests.integration.storage_fixtures import TGT_CONTROL, active_volume_service

pytestmark = pytest.mark.integration

ADMIN = {"X-Auth-Token": "admin:admin", "OpenStack-API-Version": "volume 3.71"}
HOST_A = {"initiator": "iqn.1993-08.org.debian:01:compute-a", "ip": "127.0.0.1", "host": "compute-a",
          "platform": "x86_64", "os_type": "linux", "multipath": False, "mountpoint": "/dev/vdb"}
HOST_B = {**HOST_A, "initiator": "iqn.1993-08.org.debian:01:compute-b", "host": "compute-b"}
SERVER = "9d7a3f52-6c1e-4b8a-a0f4-2e5d6c7b8a91"
FINAL = {"available", "error", "in-use", "deleted", "error_deleting", "error_extending"}
MiB = 1024 ** 2


@pytest.fixture(scope="module")
def api(storage_stack: SplitStack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=storage_stack.endpoint, headers=ADMIN, timeout=60) as client:
        for name, specs in (("lvm-1", {"volume_backend_name": "lvm-1"}),
                            ("nfs-1", {"volume_backend_name": "nfs-1"}),
                            ("lvm-shared", {"volume_backend_name": "lvm-1", "multiattach": "<is> True"}),
                            ("nfs-shared", {"volume_backend_name": "nfs-1", "multiattach": "<is> True"})):
            created = client.post("/types", json={"volume_type": {"name": name, "extra_specs": specs}})
            assert created.status_code == 200, created.text
        yield client


def _settle(api: httpx.Client, volume_id: str, timeout_s: float = 90) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    body: dict[str, Any] = {}
    while time.monotonic() < deadline:
        response = api.get(f"/volumes/{volume_id}")
        if response.status_code == 404:
            return {"status": "deleted"}
        body = response.json()["volume"]
        if body["status"] in FINAL:
            return body
        time.sleep(0.1)
    raise AssertionError(f"volume {volume_id} stayed {body.get('status')}")


def _volume(api: httpx.Client, volume_type: str, size: int = 1) -> str:
    response = api.post("/volumes", json={"volume": {"size": size, "volume_type": volume_type}})
    assert response.status_code == 202, response.text
    volume_id = str(response.json()["volume"]["id"])
    assert _settle(api, volume_id)["status"] == "available"
    return volume_id


def _attach(api: httpx.Client, volume_id: str, connector: dict[str, Any] | None) -> httpx.Response:
    return api.post("/attachments", json={"attachment": {"volume_uuid": volume_id, "instance_uuid": SERVER,
                                                         "connector": connector}})


def _target(attachment: dict[str, Any], host: dict[str, Any]) -> tuple[str, str]:
    return datapath.target_of(attachment["connection_info"], nfs_via_url=True, initiator=host["initiator"])


def _delete_volume(api: httpx.Client, volume_id: str) -> None:
    assert api.delete(f"/volumes/{volume_id}").status_code == 202
    assert _settle(api, volume_id)["status"] == "deleted"


def _no_targets() -> bool:
    return "Target " not in tgt_targets(TGT_CONTROL)


@pytest.mark.parametrize("backend", ["lvm-1", "nfs-1"])
def test_attach_read_write_complete_detach(api: httpx.Client, backend: str) -> None:
    volume_id = _volume(api, backend)
    created = _attach(api, volume_id, HOST_A)
    assert created.status_code == 200, created.text
    attachment = created.json()["attachment"]
    info = attachment["connection_info"]
    data = info  # the attachments API shows the driver's data flattened, as Cinder does
    if backend == "lvm-1":
        assert info["driver_volume_type"] == "iscsi" and data["auth_method"] == "CHAP"
        assert data["target_portals"] == [data["target_portal"]] and data["target_luns"] == [data["target_lun"]]
        assert data["target_iqn"].endswith(volume_id) and data["access_mode"] == "rw"
        assert {"discard", "encrypted", "qos_specs", "volume_id"} <= set(data)
    else:
        assert info["driver_volume_type"] == "nfs" and data["name"] == f"volume-{volume_id}"
        assert data["export"].startswith("127.0.0.1:") and data["format"] == "raw"
    target = _target(attachment, HOST_A)
    datapath.write(target, 0xA7, 5 * MiB)
    assert datapath.holds(target, 0xA7, 5 * MiB) and datapath.holds(target, 0, 0)

    assert api.post(f"/attachments/{attachment['id']}/action", json={"os-complete": {}}).status_code == 204
    shown = api.get(f"/volumes/{volume_id}").json()["volume"]
    assert (shown["status"], len(shown["attachments"])) == ("in-use", 1)
    assert shown["attachments"][0]["server_id"] == SERVER
    assert api.delete(f"/volumes/{volume_id}").status_code == 400
    assert _attach(api, volume_id, HOST_B).status_code == 400  # not multiattach

    assert api.delete(f"/attachments/{attachment['id']}").status_code == 200
    shown = api.get(f"/volumes/{volume_id}").json()["volume"]
    assert (shown["status"], shown["attachments"]) == ("available", [])
    if backend == "lvm-1":
        assert not datapath.can_open(target)  # the same login is refused: the target went with the attachment
        assert _no_targets()
    again = _attach(api, volume_id, HOST_B).json()["attachment"]  # the data survived the detach
    assert datapath.holds(_target(again, HOST_B), 0xA7, 5 * MiB)
    api.delete(f"/attachments/{again['id']}")
    _delete_volume(api, volume_id)


def test_multiattach_gives_each_host_its_own_access(api: httpx.Client) -> None:
    volume_id = _volume(api, "lvm-shared")
    first = _attach(api, volume_id, HOST_A).json()["attachment"]
    as_b_before = _target(first, HOST_B)
    assert not datapath.can_open(as_b_before)  # host B has no connection yet: CHAP alone does not let it in
    second = _attach(api, volume_id, HOST_B).json()["attachment"]
    assert first["connection_info"]["target_iqn"] == second["connection_info"]["target_iqn"]
    datapath.write(_target(first, HOST_A), 0x11, 0)
    assert datapath.holds(_target(second, HOST_B), 0x11, 0)
    for attachment in (first, second):
        assert api.post(f"/attachments/{attachment['id']}/action", json={"os-complete": {}}).status_code == 204

    remaining = api.delete(f"/attachments/{first['id']}").json()["attachments"]
    assert [a["id"] for a in remaining] == [second["id"]]
    assert not datapath.can_open(_target(first, HOST_A))  # host A's access went with its attachment
    assert datapath.holds(_target(second, HOST_B), 0x11, 0)  # host B still reads
    assert api.get(f"/volumes/{volume_id}").json()["volume"]["status"] == "in-use"
    api.delete(f"/attachments/{second['id']}")
    assert _no_targets()
    _delete_volume(api, volume_id)


def test_a_restarted_tgtd_gets_the_attached_targets_and_their_access_back(api: httpx.Client, tgtd: Any) -> None:
    volume_id = _volume(api, "lvm-1")
    attachment = _attach(api, volume_id, HOST_A).json()["attachment"]
    target = _target(attachment, HOST_A)
    datapath.write(target, 0x6B, 0)
    tgtd.kill()
    tgtd.start()
    deadline = time.monotonic() + 30  # the active's next export pass (report_interval = 2 s here)
    while not datapath.can_open(target) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert datapath.holds(target, 0x6B, 0), "the volume service did not re-create the target from the DB"
    assert not datapath.can_open(_target(attachment, HOST_B))  # and only host A is admitted again
    secret = attachment["connection_info"]["auth_password"]
    assert secret not in api.get(f"/volumes/{volume_id}").text  # never in a volume body
    api.delete(f"/attachments/{attachment['id']}")
    _delete_volume(api, volume_id)
    assert _no_targets()


def test_attach_delete_and_extend_racing_on_one_volume_have_one_winner(api: httpx.Client) -> None:
    winners: dict[str, int] = {}
    for _ in range(4):
        volume_id = _volume(api, "lvm-1")
        answers = _race(str(api.base_url), volume_id)
        won = [kind for kind, code in answers if code < 300]
        assert len(won) == 1, answers
        assert all(code in (400, 404) for _, code in answers if code >= 300), answers
        winners[won[0]] = winners.get(won[0], 0) + 1
        if won[0] == "attach":  # connected and waiting for os-complete: the status a host sees now
            assert api.get(f"/volumes/{volume_id}").json()["volume"]["status"] == "attaching"
            (attachment,) = api.get(f"/attachments?volume_id={volume_id}").json()["attachments"]
            assert api.delete(f"/attachments/{attachment['id']}").status_code == 200
        elif won[0] == "extend":
            final = _settle(api, volume_id)
            assert final["status"] == "available" and final["size"] == 2
        if won[0] == "delete":
            assert _settle(api, volume_id)["status"] == "deleted"
        else:
            _delete_volume(api, volume_id)
        assert _no_targets(), "an export outlived its volume's attachments"
    print(f"race winners over 4 rounds: {winners}")


def _race(base_url: str, volume_id: str, contenders: int = 20) -> list[tuple[str, int]]:
    """``contenders`` requests (attach, delete, extend in turn) released at once; (kind, status) of each."""
    answers: list[tuple[str, int]] = []
    barrier = threading.Barrier(contenders)

    def one(kind: str) -> None:
        with httpx.Client(base_url=base_url, headers=ADMIN, timeout=60) as client:
            barrier.wait()
            if kind == "attach":
                response = _attach(client, volume_id, HOST_A)
            elif kind == "delete":
                response = client.delete(f"/volumes/{volume_id}")
            else:
                response = client.post(f"/volumes/{volume_id}/action", json={"os-extend": {"new_size": 2}})
            answers.append((kind, response.status_code))

    threads = [threading.Thread(target=one, args=(("attach", "delete", "extend")[i % 3],))
               for i in range(contenders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def test_a_takeover_between_update_and_complete_leaves_nothing_half_made(storage_stack: SplitStack,
                                                                         api: httpx.Client) -> None:
    """Attach cycles keep running while the active volume service is killed -9 after each update: every
    cycle either completes or gets a retryable 503 and retries, and nothing stays attaching or exported."""
    volumes = [_volume(api, "lvm-1") for _ in range(4)]
    outcomes: list[str] = []
    failures: list[str] = []
    stop = threading.Event()

    def cycles(volume_id: str) -> None:
        try:
            run_cycles(volume_id)
        except (AssertionError, httpx.HTTPError) as error:  # an assertion in a thread must fail the test
            failures.append(repr(error))

    def run_cycles(volume_id: str) -> None:
        with httpx.Client(base_url=api.base_url, headers=ADMIN, timeout=60) as client:
            while not stop.is_set():
                reserved = _attach(client, volume_id, None)
                if reserved.status_code != 200:
                    outcomes.append(f"reserve {reserved.status_code}")
                    time.sleep(0.2)
                    continue
                attachment_id = reserved.json()["attachment"]["id"]
                for _ in range(60):  # the update may meet the takeover: retry it as Nova would
                    updated = client.put(f"/attachments/{attachment_id}", json={"attachment": {"connector": HOST_A}})
                    if updated.status_code != 503:
                        break
                    outcomes.append("update 503")
                    time.sleep(0.5)
                assert updated.status_code == 200, updated.text
                assert datapath.can_open(_target(updated.json()["attachment"], HOST_A))
                completed = client.post(f"/attachments/{attachment_id}/action", json={"os-complete": {}})
                assert completed.status_code == 204, completed.text
                for _ in range(60):
                    deleted = client.delete(f"/attachments/{attachment_id}")
                    if deleted.status_code != 503:
                        break
                    outcomes.append("delete 503")
                    time.sleep(0.5)
                assert deleted.status_code in (200, 404), deleted.text
                outcomes.append("cycle")

    threads = [threading.Thread(target=cycles, args=(v,), daemon=True) for v in volumes]
    for thread in threads:
        thread.start()
    for _ in range(2):
        time.sleep(2)
        victim = active_volume_service(api, "lvm-1")
        storage_stack.processes[victim].stop(signal.SIGKILL)
        time.sleep(3)
        storage_stack.spawn(victim, ["ember-volume"], host=victim)
    time.sleep(2)
    stop.set()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    assert not failures, failures
    assert outcomes.count("cycle") >= 4, outcomes
    for volume_id in volumes:
        shown = _settle(api, volume_id)
        assert (shown["status"], shown["attachments"]) == ("available", []), shown
        _delete_volume(api, volume_id)
    assert _no_targets()
    print(f"attach cycles under two takeovers: {outcomes.count('cycle')} done, "
          f"{sum(o.endswith('503') for o in outcomes)} retryable 503s")


def _export_passes(count: int = 3) -> None:
    """Time for ``count`` export passes of the active (every report_interval, 2 s here)."""
    time.sleep(2 * count + 1)


def test_a_terminated_connection_is_not_given_back_by_the_export_pass(api: httpx.Client) -> None:
    volume_id = _volume(api, "lvm-1")
    path = f"/volumes/{volume_id}/action"
    connected = api.post(path, json={"os-initialize_connection": {"connector": HOST_A}})
    assert connected.status_code == 200, connected.text
    target = datapath.target_of(connected.json()["connection_info"], initiator=str(HOST_A["initiator"]))
    assert api.post(path, json={"os-attach": {"instance_uuid": SERVER, "mountpoint": "/dev/vdb"}}).status_code == 202
    datapath.write(target, 0x3C, 0)

    assert api.post(path, json={"os-terminate_connection": {"connector": HOST_A}}).status_code == 202
    assert not datapath.can_open(target)
    _export_passes()
    assert not datapath.can_open(target), "the export pass gave a terminated connection its access back"
    assert api.get(f"/volumes/{volume_id}").json()["volume"]["status"] == "in-use"  # until os-detach

    assert api.post(path, json={"os-detach": {}}).status_code == 202
    shown = api.get(f"/volumes/{volume_id}").json()["volume"]
    assert (shown["status"], shown["attachments"]) == ("available", [])
    assert _no_targets()
    _delete_volume(api, volume_id)


def _untouched_for(stack: SplitStack, attachment_id: str, seconds: float) -> None:
    engine = sa.create_engine(stack.db_url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE attachments SET updated_at = :at WHERE id = :id"),
                     {"at": datetime.now(UTC).replace(tzinfo=None) - timedelta(seconds=seconds), "id": attachment_id})
    engine.dispose()


def _manage_cleanup(stack: SplitStack, *args: str) -> str:
    done = subprocess.run([str(BIN / "ember-manage"), "--config-file", str(stack.workdir / "ember.conf"), "cleanup",
                           *args], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_connection_never_completed_is_reported_and_ended_only_on_request(storage_stack: SplitStack,
                                                                           api: httpx.Client) -> None:
    volume_id = _volume(api, "lvm-1")
    attachment = _attach(api, volume_id, HOST_A).json()["attachment"]  # connected, and os-complete never comes
    target = _target(attachment, HOST_A)
    _untouched_for(storage_stack, attachment["id"], 2 * 3600)  # past attachment_unfinished_after_s (1 h)

    deadline = time.monotonic() + 30  # the active's next report (every 5 s)
    while not (reports := api.get(f"/messages?resource_uuid={attachment['id']}").json()["messages"]):
        assert time.monotonic() < deadline, "the unfinished attachment was not reported"
        time.sleep(0.5)
    assert [m["event_id"] for m in reports] == ["ATTACHMENT_NOT_COMPLETED"]
    listed = api.post("/workers/cleanup", json={}).json()["unfinished_attachments"]
    assert [(a["id"], a["status"]) for a in listed] == [(attachment["id"], "attaching")]
    assert attachment["id"] in _manage_cleanup(storage_stack)
    _export_passes()
    assert datapath.holds(target, 0, 0), "the host lost its access without a request"
    assert len(api.get(f"/messages?resource_uuid={attachment['id']}").json()["messages"]) == 1  # reported once

    assert "detaching" in _manage_cleanup(storage_stack, "--detach-unfinished-attachments")
    deadline = time.monotonic() + 30
    while api.get(f"/volumes/{volume_id}").json()["volume"]["status"] != "available":
        assert time.monotonic() < deadline, "the requested detach did not happen"
        time.sleep(0.2)
    assert not datapath.can_open(target) and _no_targets()
    _delete_volume(api, volume_id)
