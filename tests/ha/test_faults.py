"""Kill -9 an api, a scheduler, a Galera node and a RabbitMQ node under load: nothing lost or stuck.

Per fault the test prints requests sent, failed, lost, and the seconds until a new volume
could be created again. Invariants after each: every accepted request ended in a final
state, no duplicate volume, nothing transient left, the same row counts on every Galera node.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import pytest
import sqlalchemy as sa

from tests.ha.conftest import Cluster
from tests.ha.load import run_load
from volume.states.snapshots import SNAPSHOT_TRANSIENT
from volume.states.volumes import TRANSIENT

pytestmark = pytest.mark.ha

WORKERS = 6
SETTLE_S = 90
REPORT: list[str] = []


def _probe_create(endpoint: str, *, timeout_s: float = 120) -> float:
    """Seconds until a fresh volume could be created and reached available."""
    started = time.monotonic()
    client = httpx.Client(base_url=endpoint, headers={"X-Auth-Token": "probe:probe"}, timeout=10)
    deadline = started + timeout_s
    while time.monotonic() < deadline:
        try:
            response = client.post("/volumes", json={"volume": {"size": 1, "name": "probe"}})
            if response.status_code == 202:
                vid = response.json()["volume"]["id"]
                while time.monotonic() < deadline:
                    status = client.get(f"/volumes/{vid}").json()["volume"]["status"]
                    if status == "available":
                        elapsed = time.monotonic() - started
                        client.delete(f"/volumes/{vid}")
                        return elapsed
                    time.sleep(0.1)
        except (httpx.HTTPError, KeyError, ValueError):
            pass
        time.sleep(0.2)
    raise AssertionError("no volume could be created after the fault")


def _fault(cluster: Cluster, name: str) -> Callable[[], float]:
    def inject() -> float:
        time.sleep(4)                     # load running normally
        cluster.run("kill", name)
        recovered_s = _probe_create(cluster.endpoint)
        time.sleep(4)                     # load running with the component down
        cluster.run("start", name)
        time.sleep(4)                     # and after it came back
        return recovered_s

    return inject


def _count_rows(url: str) -> dict[str, int]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return {t: int(conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar_one())
                    for t in ("volumes", "snapshots", "quota_usages", "idempotency_keys", "pools")}
    finally:
        engine.dispose()


def _check_invariants(cluster: Cluster, names: list[str]) -> tuple[int, int, int]:
    """(lost, duplicates, stuck) after the load; waits up to SETTLE_S for transient rows to land."""
    engine = sa.create_engine(cluster.env["EMBER_DB_URL"])
    transient = sorted({str(s) for s in TRANSIENT} | {"creating"})
    snap_transient = sorted(str(s) for s in SNAPSHOT_TRANSIENT)
    try:
        deadline = time.monotonic() + SETTLE_S
        while True:
            with engine.connect() as conn:
                stuck = conn.execute(sa.text(
                    "SELECT count(*) FROM volumes WHERE deleted = 0 AND status IN :s").bindparams(
                        sa.bindparam("s", expanding=True)), {"s": transient}).scalar_one()
                stuck += conn.execute(sa.text(
                    "SELECT count(*) FROM snapshots WHERE deleted = 0 AND status IN :s").bindparams(
                        sa.bindparam("s", expanding=True)), {"s": snap_transient}).scalar_one()
            if stuck == 0 or time.monotonic() > deadline:
                break
            time.sleep(1)
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT name, count(*) FROM volumes WHERE name LIKE 'ha-%' GROUP BY name"))
            per_name = {name: count for name, count in rows}
    finally:
        engine.dispose()
    lost = sum(1 for name in names if name not in per_name)
    duplicates = sum(count - 1 for count in per_name.values() if count > 1)
    return lost, duplicates, int(stuck)


@pytest.mark.parametrize("component", ["api-1", "scheduler-1", "galera-1", "rabbit-1"])
def test_kill_under_load(cluster: Cluster, component: str, capsys: pytest.CaptureFixture[str]) -> None:
    recovery: list[float] = []
    tally, workers = run_load(cluster.endpoint, workers=WORKERS,
                              during=lambda: recovery.append(_fault(cluster, component)()))
    lost, duplicates, stuck = _check_invariants(cluster, tally.created)
    counts = [_count_rows(url) for url in cluster.galera_urls()]
    line = (f"kill -9 {component}: requests sent {tally.sent}, accepted {tally.accepted}, failed {tally.failed}, "
            f"retried {tally.retries}, slowest accepted request {tally.slowest_s:.1f}s, lost {lost}, duplicates {duplicates}, stuck {stuck}, "
            f"cycles {sum(w.cycles for w in workers)}, recovered in {recovery[0]:.1f}s")
    REPORT.append(line)
    with capsys.disabled():
        print("\n" + line)
    assert tally.failed == 0, dict(tally.errors)
    assert (lost, duplicates, stuck) == (0, 0, 0)
    assert counts[0] == counts[1] == counts[2], counts
    assert sum(w.cycles for w in workers) > 0
