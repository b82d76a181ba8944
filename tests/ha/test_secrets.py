"""No CHAP secret at rest or in a log, through an attach storm and a kill -9 of the Galera writer.

Clients attach and detach lvm-1 volumes (tgtd with CHAP) over and over through HAProxy, by the
v3 attachments API and by the legacy actions, every POST with an Idempotency-Key (a retry after
a cut connection or a 5xx replays it), and collect every CHAP secret an answer hands out; some
of those log in to their target with libiscsi, so they are the real ones. In the middle the
Galera node HAProxy writes to is killed -9. Then no log file of the cluster's state folder, no
line of a full mysqldump of ember's database on a surviving node, and no row of the
idempotency table holds any of them.
"""

from __future__ import annotations

import functools
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from tests import datapath
from tests.ha.conftest import Cluster

pytestmark = pytest.mark.ha

ADMIN = {"X-Auth-Token": "admin:admin", "OpenStack-API-Version": "volume 3.71"}
CLIENTS = 4
CYCLES_BEFORE_KILL = 2
CYCLES_AFTER_KILL = 3
RETRY_FOR_S = 120.0


@pytest.fixture(scope="module")
def lvm_cluster(cluster: Cluster) -> Iterator[Cluster]:
    cluster.run("up", "--volume-backends", "file-1,lvm-1", timeout_s=600)
    yield cluster


@pytest.fixture(scope="module")
def api(lvm_cluster: Cluster) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=lvm_cluster.endpoint, headers=ADMIN, timeout=60) as client:
        client.post("/types", json={"volume_type": {"name": "lvm-1", "extra_specs": {"volume_backend_name": "lvm-1"}}})
        yield client


@dataclass
class Storm:
    secrets: set[str] = field(default_factory=set)
    logins: int = 0
    cycles: list[int] = field(default_factory=lambda: [0] * CLIENTS)
    retries: int = 0
    recovered: int = 0  # retried attaches that met their first try's attachment
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def keep(self, response: httpx.Response) -> dict[str, Any]:
        body: dict[str, Any] = response.json()
        info = body.get("connection_info") or body.get("attachment", {}).get("connection_info") or {}
        # flat in the attachments API (as Nova reads it), under data in os-initialize_connection's answer
        secret = info.get("auth_password") or info.get("data", {}).get("auth_password")
        if secret:
            with self.lock:
                self.secrets.add(secret)
        return info


def _retried(storm: Storm, call: Callable[[], httpx.Response], *, ok: tuple[int, ...],
             ok_after_retry: tuple[int, ...] = ()) -> httpx.Response:
    """``call`` until it answers one of ``ok`` (or, once retried, ``ok_after_retry``: the first try did it)."""
    deadline = time.monotonic() + RETRY_FOR_S
    tried = False
    while True:
        try:
            response = call()
            if response.status_code in ok or (tried and response.status_code in ok_after_retry):
                return response
            # a retry that finds its first try still running on a live volume service waits for it
            busy = response.status_code == 400 and "is busy" in response.text
            if response.status_code < 500 and not busy:
                raise AssertionError(f"{response.request.method} {response.request.url.path}: "
                                     f"{response.status_code} {response.text}")
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"no answer within {RETRY_FOR_S} s")
        tried = True
        with storm.lock:
            storm.retries += 1
        time.sleep(0.5)


def _connector(i: int) -> dict[str, Any]:
    return {"initiator": f"iqn.1993-08.org.debian:01:storm-{i}", "ip": "127.0.0.1", "host": f"storm-{i}",
            "platform": "x86_64", "os_type": "linux", "multipath": False}


def _attach(client: httpx.Client, storm: Storm, call: Callable[[], httpx.Response], volume_id: str,
            connector: dict[str, Any]) -> tuple[httpx.Response, bool]:
    """``call`` (an attach with an Idempotency-Key) until answered; True if it had to recover.

    A first try whose connect was answered 503 in a failover forgets its key but leaves its
    attachment (reserved, or still connecting under a live volume service): a retry (ours, or
    HAProxy's own replay of the 503 on the other api, so even a first answer) is refused, the
    volume already has an attachment. A client then takes that attachment: it waits for it to
    settle, and connects it if it is only reserved.
    """
    response = _retried(storm, call, ok=(200, 400))
    if response.status_code == 200:
        return response, False
    assert "already has an attachment" in response.text, response.text
    with storm.lock:
        storm.recovered += 1
    deadline = time.monotonic() + RETRY_FOR_S
    while time.monotonic() < deadline:
        listed = _retried(storm, functools.partial(client.get, f"/attachments/detail?volume_id={volume_id}"),
                          ok=(200,)).json()["attachments"]
        (attachment,) = listed
        path = f"/attachments/{attachment['id']}"
        if attachment["status"] == "reserved":
            return _retried(storm, functools.partial(client.put, path, json={"attachment": {"connector": connector}}),
                            ok=(200,)), True
        if attachment["status"] == "attaching" and attachment["connection_info"]:
            return _retried(storm, functools.partial(client.get, path), ok=(200,)), True
        time.sleep(0.5)  # its connect is still running
    raise AssertionError(f"the attachment of volume {volume_id} did not settle")


def _v3_cycle(client: httpx.Client, storm: Storm, volume_id: str, connector: dict[str, Any], login: bool) -> None:
    key = {"Idempotency-Key": f"storm-{uuid.uuid4()}"}
    post = functools.partial(client.post, "/attachments", headers=key,
                             json={"attachment": {"volume_uuid": volume_id, "connector": connector}})
    created, recovered = _attach(client, storm, post, volume_id, connector)
    if not recovered:
        storm.keep(_retried(storm, post, ok=(200,)))  # a client's retry: the replay carries the secret too
    info = storm.keep(created)
    if login:
        assert datapath.can_open(datapath.target_of(info, initiator=connector["initiator"])), "CHAP login failed"
        with storm.lock:
            storm.logins += 1
    attachment_id = created.json()["attachment"]["id"]
    _retried(storm, functools.partial(client.delete, f"/attachments/{attachment_id}"), ok=(200,),
             ok_after_retry=(404,))


def _legacy_cycle(client: httpx.Client, storm: Storm, volume_id: str, connector: dict[str, Any]) -> None:
    action = f"/volumes/{volume_id}/action"
    key = {"Idempotency-Key": f"storm-{uuid.uuid4()}"}
    connected, _ = _attach(client, storm, functools.partial(
        client.post, action, headers=key, json={"os-initialize_connection": {"connector": connector}}),
        volume_id, connector)
    storm.keep(connected)
    _retried(storm, functools.partial(client.post, action, json={"os-terminate_connection": {"connector": connector}}),
             ok=(202,))
    _retried(storm, functools.partial(client.post, action, json={"os-detach": {}}), ok=(202,),
             ok_after_retry=(400,))


def _settled(client: httpx.Client, storm: Storm, volume_id: str) -> None:
    """Wait, as Nova does, until the volume is available again: a detach answered 503 ends in the background."""
    deadline = time.monotonic() + RETRY_FOR_S
    while True:
        shown = _retried(storm, functools.partial(client.get, f"/volumes/{volume_id}"), ok=(200,))
        if shown.json()["volume"]["status"] == "available":
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"volume {volume_id} stayed {shown.json()['volume']['status']}")
        time.sleep(0.3)


def _client(endpoint: str, storm: Storm, i: int, volume_id: str, killed: threading.Event) -> None:
    connector = _connector(i)
    after_kill = 0
    with httpx.Client(base_url=endpoint, headers=ADMIN, timeout=30) as client:
        try:
            while after_kill < CYCLES_AFTER_KILL:
                cycle = storm.cycles[i]
                if cycle % 2 == 0:
                    _v3_cycle(client, storm, volume_id, connector, login=cycle == 0 or after_kill == 1)
                else:
                    _legacy_cycle(client, storm, volume_id, connector)
                _settled(client, storm, volume_id)
                storm.cycles[i] += 1
                if killed.is_set():
                    after_kill += 1
        except AssertionError as error:
            found = client.get(f"/attachments/detail?volume_id={volume_id}").text
            storm.failures.append(f"client {i} at cycle {storm.cycles[i]}: {error}; attachments now: {found}")


def _available(api: httpx.Client) -> str:
    created = api.post("/volumes", json={"volume": {"size": 1, "volume_type": "lvm-1"}})
    assert created.status_code == 202, created.text
    volume_id = str(created.json()["volume"]["id"])
    deadline = time.monotonic() + 120
    while (shown := api.get(f"/volumes/{volume_id}").json()["volume"])["status"] != "available":
        assert shown["status"] == "creating" and time.monotonic() < deadline, f"not available: {shown}"
        time.sleep(0.3)
    return volume_id


def _writer(cluster: Cluster) -> int:
    """The Galera node HAProxy sends the writes to (1, 2 or 3)."""
    engine = sa.create_engine(cluster.env["EMBER_DB_URL"], hide_parameters=True)
    try:
        with engine.connect() as conn:
            return int(conn.exec_driver_sql("SELECT @@port").scalar_one()) - 3306
    finally:
        engine.dispose()


def _mysqldump(url: str) -> str:
    parts = sa.engine.make_url(url)
    result = subprocess.run(["mysqldump", f"-h{parts.host}", f"-P{parts.port}", f"-u{parts.username}",
                             f"-p{parts.password}", "--single-transaction", "--skip-extended-insert",
                             str(parts.database)], capture_output=True, text=True, timeout=300, check=True)
    return result.stdout


def _log_files(state: Path) -> list[Path]:
    return [p for p in state.rglob("*") if p.is_file() and (p.suffix in (".log", ".err", ".out")
                                                               or p.name in ("stdout", "stderr", "console"))]


def test_no_chap_secret_is_kept_or_logged_through_an_attach_storm_and_a_galera_kill(
        lvm_cluster: Cluster, api: httpx.Client, capsys: pytest.CaptureFixture[str]) -> None:
    volumes = [_available(api) for _ in range(CLIENTS)]
    storm = Storm()
    killed = threading.Event()
    threads = [threading.Thread(target=_client, args=(lvm_cluster.endpoint, storm, i, v, killed), daemon=True)
               for i, v in enumerate(volumes)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 300
    while min(storm.cycles) < CYCLES_BEFORE_KILL and not storm.failures:
        assert time.monotonic() < deadline, f"the storm made no progress: {storm.cycles}"
        time.sleep(0.2)
    writer = _writer(lvm_cluster)
    lvm_cluster.run("kill", f"galera-{writer}")
    killed.set()
    for thread in threads:
        thread.join(timeout=600)
    lvm_cluster.run("start", f"galera-{writer}")
    assert not storm.failures, storm.failures
    assert all(not thread.is_alive() for thread in threads)

    for volume_id in volumes:  # the storm left nothing attached
        shown = api.get(f"/volumes/{volume_id}").json()["volume"]
        assert (shown["status"], shown["attachments"]) == ("available", []), shown
    survivor = lvm_cluster.galera_urls()[writer % 3]
    dump = _mysqldump(survivor)
    engine = sa.create_engine(survivor, hide_parameters=True)
    try:
        with engine.connect() as conn:
            bodies = [str(b) for (b,) in conn.execute(
                sa.text("SELECT body FROM idempotency_keys WHERE body LIKE :chap"), {"chap": "%CHAP%"})]
    finally:
        engine.dispose()
    logs = _log_files(lvm_cluster.state)
    log_text = "\n".join(p.read_text(errors="replace") for p in logs)
    with capsys.disabled():
        print(f"\nattach storm: {sum(storm.cycles)} cycles by {CLIENTS} clients, {len(storm.secrets)} CHAP secrets "
              f"handed out, {storm.logins} libiscsi logins with them, {storm.retries} retried requests "
              f"({storm.recovered} retried attaches met their first try's attachment), "
              f"kill -9 of galera-{writer} (the writer); searched {len(logs)} log files "
              f"({len(log_text) // 1024} KiB), a {len(dump) // 1024} KiB mysqldump and {len(bodies)} kept answers")

    # every connection makes the export afresh, with new credentials
    assert storm.logins >= CLIENTS and len(storm.secrets) >= CLIENTS * (CYCLES_BEFORE_KILL + CYCLES_AFTER_KILL)
    assert len(bodies) >= CLIENTS and all(volume_id in dump for volume_id in volumes)
    for secret in storm.secrets:
        assert secret not in dump, "a CHAP secret is in the database"
        assert not any(secret in body for body in bodies), "a CHAP secret is in the idempotency table"
        assert secret not in log_text, f"a CHAP secret is in a log: {[p for p in logs if secret in p.read_text(errors='replace')]}"
    for volume_id in volumes:
        api.delete(f"/volumes/{volume_id}")
