"""deploy/local-cluster against the real Debian packages: Galera, RabbitMQ, etcd and HAProxy on loopback.

The tests run in file order on one cluster (``up --no-ember`` into a fresh state folder) and end
with ``down``. A missing package or a busy port makes them fail, never skip.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pymysql
import pytest

pytestmark = pytest.mark.integration

LAUNCHER = Path(__file__).resolve().parents[2] / "deploy" / "local-cluster"
INFRA = {"galera-1", "galera-2", "galera-3", "rabbit-1", "rabbit-2", "rabbit-3", "etcd-1", "etcd-2", "etcd-3",
         "haproxy"}
GALERA_PORTS = (3307, 3308, 3309)
HAPROXY_GALERA_PORT = 3316
API_BACKEND_PORTS = (9101, 9102)

# stands in for ember-api behind HAProxy: /healthcheck for the checks, /work for the load
FAKE_API = """
import asyncio

async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    if scope["path"] == "/work":
        await asyncio.sleep(0.02)
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"ok"})
"""


def launcher(state: Path, *args: str, timeout_s: float = 150, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([str(LAUNCHER), *args, "--state", str(state)], capture_output=True, text=True,
                            timeout=timeout_s, check=False)
    if check and result.returncode != 0:
        pytest.fail(f"local-cluster {' '.join(args)} failed (rc {result.returncode}):\n"
                    f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result


def status(state: Path) -> dict[str, dict[str, Any]]:
    rows = json.loads(launcher(state, "status", "--json", check=False).stdout)
    return {row["name"]: row for row in rows}


def connect(port: int) -> pymysql.connections.Connection:
    return pymysql.connect(host="127.0.0.1", port=port, user="ember", password="ember", database="ember",
                           autocommit=True, connect_timeout=3, read_timeout=15, write_timeout=15)


def scalar(port: int, sql: str) -> Any:
    conn = connect(port)
    try:
        with conn.cursor() as cur:
            cur.execute("SET SESSION wsrep_sync_wait = 1")  # read what the other nodes committed
            cur.execute(sql)
            row = cur.fetchone()
            return row[0] if row else None
    finally:
        conn.close()


def write_with_retry(sql: str, params: tuple[object, ...], *, timeout_s: float = 20) -> None:
    """One write through HAProxy; a failover in progress may drop the first attempts."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            conn = connect(HAPROXY_GALERA_PORT)
            try:
                with conn.cursor() as cur:
                    cur.execute(sql, params)
                return
            finally:
                conn.close()
        except pymysql.err.MySQLError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def running(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rpartition(")")[2].split()[0] not in ("Z", "X")


def session_members(sid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rpartition(")")[2].split()
            except (FileNotFoundError, ProcessLookupError):
                continue
            if fields[0] not in ("Z", "X") and int(fields[3]) == sid:
                found.append(int(entry.name))
    return found


@pytest.fixture(scope="module")
def state() -> Iterator[Path]:
    # under /tmp with a short name: mariadbd runs as mysql (must reach the datadir) and uses unix sockets
    path = Path(tempfile.mkdtemp(prefix="lc-", dir="/tmp"))
    path.chmod(0o755)
    try:
        began = time.monotonic()
        out = launcher(path, "up", "--no-ember", timeout_s=170).stdout
        print(f"up --no-ember took {time.monotonic() - began:.1f}s:\n{out}")
        yield path
    finally:
        subprocess.run([str(LAUNCHER), "down", "--state", str(path)], capture_output=True, timeout=120,
                       check=False)
        shutil.rmtree(path, ignore_errors=True)


def test_up_reports_every_infra_component_up(state: Path) -> None:
    rows = status(state)
    assert set(rows) == INFRA
    assert {name for name, row in rows.items() if not row["up"]} == set()
    assert all("Synced size=3" in str(rows[f"galera-{i}"]["detail"]) for i in (1, 2, 3))
    assert launcher(state, "status", check=False).returncode == 0


def test_env_points_at_haproxy_and_each_galera_node(state: Path) -> None:
    exports = dict(line.removeprefix("export ").split("=", 1) for line in launcher(state, "env").stdout.splitlines())
    assert exports["EMBER_DB_URL"] == "mysql+mysqldb://ember:ember@127.0.0.1:3316/ember"
    assert [exports[f"EMBER_DB_URL_{i}"].rsplit(":", 1)[1] for i in (1, 2, 3)] == [
        "3307/ember", "3308/ember", "3309/ember"]
    assert exports["EMBER_ENDPOINT"] == "http://127.0.0.1:8776/v3"
    assert exports["EMBER_TRANSPORT_URL"].count("127.0.0.1:567") == 3


def test_row_written_through_haproxy_is_read_from_every_node(state: Path) -> None:
    write_with_retry("CREATE TABLE IF NOT EXISTS lc_probe (id VARCHAR(36) PRIMARY KEY, n INT NOT NULL)", ())
    key = str(uuid.uuid4())
    write_with_retry("INSERT INTO lc_probe (id, n) VALUES (%s, 1)", (key,))
    for port in GALERA_PORTS:
        assert scalar(port, f"SELECT n FROM lc_probe WHERE id = '{key}'") == 1, f"row missing on {port}"


def test_killed_galera_node_rejoins_and_catches_up(state: Path) -> None:
    began = time.monotonic()
    launcher(state, "kill", "galera-3")
    assert not status(state)["galera-3"]["up"]
    for _ in range(20):  # written while galera-3 is away: it must catch up by IST
        write_with_retry("INSERT INTO lc_probe (id, n) VALUES (%s, 2)", (str(uuid.uuid4()),))
    launcher(state, "start", "galera-3")
    print(f"galera-3 kill+writes+start took {time.monotonic() - began:.1f}s")
    rows = status(state)
    assert rows["galera-3"]["up"]
    counts = [scalar(port, "SELECT COUNT(*) FROM lc_probe") for port in GALERA_PORTS]
    assert counts[0] >= 21 and len(set(counts)) == 1, counts
    sizes = []  # one cluster of 3: the restarted node did not bootstrap a cluster of its own
    for port in GALERA_PORTS:
        conn = connect(port)
        with conn.cursor() as cur:
            cur.execute("SHOW STATUS LIKE 'wsrep_cluster_size'")
            sizes.append(cur.fetchone()[1])
        conn.close()
    assert sizes == ["3", "3", "3"]
    last_start = (state / "galera" / "galera-3" / "error.log").read_text().rpartition("Starting MariaDB")[2]
    assert "rsync IST completed on joiner" in last_start  # incremental catch-up, not a full copy


def rabbit_running_nodes(state: Path, i: int) -> list[str]:
    env_file = Path(dict(line.removeprefix("export ").split("=", 1)
                         for line in launcher(state, "env").stdout.splitlines())[f"EMBER_RABBIT_ENV_{i}"])
    env = dict(os.environ)
    for line in env_file.read_text().splitlines():
        key, _, value = line.removeprefix("export ").partition("=")
        env[key] = value
    node = env["RABBITMQ_NODENAME"]
    out = subprocess.run(["/usr/lib/rabbitmq/bin/rabbitmqctl", "-n", node, "cluster_status", "--formatter", "json"],
                         env=env, capture_output=True, text=True, timeout=60, check=True).stdout
    return sorted(json.loads(out)["running_nodes"])


def test_killed_rabbit_node_restarts_and_rejoins(state: Path) -> None:
    began = time.monotonic()
    launcher(state, "kill", "rabbit-2")
    rows = status(state)
    assert not rows["rabbit-2"]["up"] and rows["rabbit-1"]["up"] and rows["rabbit-3"]["up"]
    launcher(state, "start", "rabbit-2")
    print(f"rabbit-2 kill+start took {time.monotonic() - began:.1f}s")
    assert status(state)["rabbit-2"]["up"]
    assert rabbit_running_nodes(state, 1) == ["rabbit2@localhost", "rabbit3@localhost", "rabbit4@localhost"]


def haproxy_api_states() -> dict[str, str]:
    with urllib.request.urlopen("http://127.0.0.1:8080/;csv", timeout=2) as resp:
        lines = resp.read().decode().lstrip("# ").splitlines()
    header = lines[0].split(",")
    rows = [dict(zip(header, line.split(","), strict=False)) for line in lines[1:]]
    return {r["svname"]: r["status"] for r in rows if r["pxname"] == "ember_api" and r["svname"].startswith("api-")}


def wait_for(check: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False


def test_haproxy_replays_requests_of_a_killed_api_backend(state: Path) -> None:
    app_dir = state / "fake-api"
    app_dir.mkdir()
    (app_dir / "fake_api.py").write_text(FAKE_API)
    backends = [subprocess.Popen([sys.executable, "-m", "uvicorn", "fake_api:app", "--app-dir", str(app_dir),
                                  "--host", "127.0.0.1", "--port", str(port), "--lifespan", "off",
                                  "--log-level", "warning"], start_new_session=True,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                for port in API_BACKEND_PORTS]
    try:
        assert wait_for(lambda: haproxy_api_states() == {"api-1": "UP", "api-2": "UP"}, 20), haproxy_api_states()
        results: Counter[str] = Counter()
        stop = threading.Event()

        def client() -> None:
            conn = http.client.HTTPConnection("127.0.0.1", 8776, timeout=10)
            while not stop.is_set():
                try:
                    conn.request("GET", "/work")
                    resp = conn.getresponse()
                    resp.read()
                    results[str(resp.status)] += 1
                except (OSError, http.client.HTTPException) as exc:
                    results[type(exc).__name__] += 1
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", 8776, timeout=10)

        threads = [threading.Thread(target=client) for _ in range(4)]
        for thread in threads:
            thread.start()
        time.sleep(2)
        os.killpg(backends[1].pid, signal.SIGKILL)
        time.sleep(4)
        stop.set()
        for thread in threads:
            thread.join()
        print(f"requests through HAProxy while api-2 was killed: {dict(results)}")
        assert results["200"] > 100, dict(results)
        # without retry-on/redispatch the requests that met the dead backend come back as 503s; a
        # response the kill cut after its first bytes cannot be replayed and shows as a disconnect
        cut = results["RemoteDisconnected"] + results["ConnectionResetError"]
        assert set(results) <= {"200", "RemoteDisconnected", "ConnectionResetError"} and cut <= 2, dict(results)
        assert wait_for(lambda: haproxy_api_states()["api-2"].startswith("DOWN"), 5)
    finally:
        for proc in backends:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_down_leaves_no_process_running(state: Path) -> None:
    rows = status(state).values()
    pids = {int(r["pid"]) for r in rows if r["pid"]} | {int(r["pgid"]) for r in rows if r["pgid"]}
    sessions = {int(r["pgid"]) for r in rows if r["pgid"]}
    assert len(sessions) == len(INFRA)
    began = time.monotonic()
    launcher(state, "down", timeout_s=120)
    print(f"down took {time.monotonic() - began:.1f}s")
    assert [p for p in pids if running(p)] == []
    assert [s for s in sessions if session_members(s)] == []
    assert {name for name, row in status(state).items() if row["up"] or row["pid"]} == set()
    launcher(state, "down")  # idempotent
