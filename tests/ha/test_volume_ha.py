"""Each backend's two volume services, one active and one standby, with the SQL and the etcd election.

kill -9 and SIGTERM of the active under the mixed load through HAProxy: nothing failed, lost,
duplicated or stuck, and the standby takes over. SIGSTOP of the active past its lease: the
standby takes over, and the old one, resumed, writes nothing and reports standby. With etcd,
the loss of one etcd member changes nothing (test_etcd_member.py). Throughout, an epoch history is recorded from the
DB: epochs only grow, each has one holder, and never are two services active under the current one.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Self

import pytest
import sqlalchemy as sa

from tests.ha.conftest import Cluster
from tests.ha.load import run_load
from tests.ha.test_faults import _check_invariants

pytestmark = pytest.mark.ha

BACKEND = "file-1"
BACKEND_HOST = f"cluster@{BACKEND}"
NODES = (f"volume-{BACKEND}-a", f"volume-{BACKEND}-b")
WORKERS = 4
TAKEOVER_BOUND_S = 10.0  # a takeover must happen; how fast it is, bench.takeover measures
REPORT: list[str] = []


@dataclass
class EpochHistory:
    """The backend's (epoch, holder) and who claims to be active, sampled every 50 ms from the DB."""

    url: str
    samples: list[tuple[float, int, str | None, list[str]]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def __enter__(self) -> Self:
        self._engine = sa.create_engine(self.url, pool_size=1)
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(5)
        self._engine.dispose()

    def _sample(self) -> None:
        while not self._stop.wait(0.05):
            try:
                with self._engine.connect() as conn:
                    epoch, holder = conn.execute(sa.text(
                        "SELECT epoch, holder FROM backends WHERE backend_host = :b"), {"b": BACKEND_HOST}).one()
                    actives = [row.node for row in conn.execute(sa.text(
                        "SELECT node FROM services WHERE host = :b AND ha_role = 'active' AND ha_epoch = :e"),
                        {"b": BACKEND_HOST, "e": epoch})]
                self.samples.append((time.monotonic(), int(epoch), holder, actives))
            except sa.exc.SQLAlchemyError:
                pass  # a Galera failover in progress; the next sample reads again

    def check(self) -> dict[int, set[str]]:
        holders: dict[int, set[str]] = {}
        last = 0
        for _, epoch, holder, actives in self.samples:
            assert epoch >= last, f"the epoch went back from {last} to {epoch}"
            last = epoch
            if holder is not None:
                holders.setdefault(epoch, set()).add(holder)
            assert len(actives) <= 1, f"two actives under epoch {epoch}: {actives}"
        assert all(len(nodes) == 1 for nodes in holders.values()), holders
        return holders


def _db(cluster: Cluster) -> sa.Engine:
    return sa.create_engine(cluster.env["EMBER_DB_URL"], pool_size=1)


def _backend(cluster: Cluster) -> tuple[int, str | None]:
    engine = _db(cluster)
    try:
        with engine.connect() as conn:
            epoch, holder = conn.execute(sa.text("SELECT epoch, holder FROM backends WHERE backend_host = :b"),
                                         {"b": BACKEND_HOST}).one()
    finally:
        engine.dispose()
    return int(epoch), holder


def _active(cluster: Cluster, timeout_s: float = 30, after_epoch: int = 0) -> tuple[str, int]:
    """The node that is active under an epoch above ``after_epoch``, once there is one."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            epoch, holder = _backend(cluster)
        except sa.exc.SQLAlchemyError:
            epoch, holder = 0, None
        if holder in NODES and epoch > after_epoch:
            return holder, epoch
        time.sleep(0.02)
    raise AssertionError(f"no active of {BACKEND_HOST} under an epoch above {after_epoch}: {_backend(cluster)}")


def _pgid(cluster: Cluster, name: str) -> int:
    rows = {row["name"]: row for row in json.loads(cluster.run("status", "--json", check=False))}
    pgid = rows[name]["pgid"]
    assert pgid, f"{name} is not running"
    return int(pgid)


def _ensure_both_running(cluster: Cluster) -> None:
    for node in NODES:
        cluster.run("resume", node, check=False)
        cluster.run("start", node)


@pytest.fixture(scope="module", params=["sql", "etcd"])
def election(cluster: Cluster, request: pytest.FixtureRequest) -> Iterator[str]:
    cluster.run("set-coordination", request.param, timeout_s=300)
    _active(cluster)
    yield str(request.param)
    _ensure_both_running(cluster)


def _under_load(cluster: Cluster, fault: Callable[[], float], what: str, election: str,
                capsys: pytest.CaptureFixture[str]) -> float:
    measured: list[float] = []
    with EpochHistory(cluster.env["EMBER_DB_URL"]) as history:
        tally, workers = run_load(cluster.endpoint, workers=WORKERS, during=lambda: measured.append(fault()))
    lost, duplicates, stuck = _check_invariants(cluster, tally.created)
    holders = history.check()
    line = (f"{election}: {what}: requests {tally.sent}, failed {tally.failed}, retried {tally.retries}, "
            f"lost {lost}, duplicates {duplicates}, stuck {stuck}, takeover {measured[0]:.2f}s, "
            f"epochs {sorted(holders)}")
    REPORT.append(line)
    with capsys.disabled():
        print("\n" + line)
    assert tally.failed == 0, dict(tally.errors)
    assert (lost, duplicates, stuck) == (0, 0, 0)
    assert sum(w.cycles for w in workers) > 0
    return measured[0]


def test_kill_9_of_the_active_under_load(cluster: Cluster, election: str,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    def kill_the_active() -> float:
        time.sleep(4)
        node, epoch = _active(cluster)
        started = time.monotonic()
        cluster.run("kill", node)
        successor, _ = _active(cluster, after_epoch=epoch)
        took = time.monotonic() - started
        assert successor != node
        time.sleep(4)
        cluster.run("start", node)  # back as the standby
        time.sleep(3)
        return took

    took = _under_load(cluster, kill_the_active, "kill -9 the active", election, capsys)
    assert took < TAKEOVER_BOUND_S


def test_sigterm_hands_over_under_load(cluster: Cluster, election: str, capsys: pytest.CaptureFixture[str]) -> None:
    def stop_the_active() -> float:
        time.sleep(4)
        node, epoch = _active(cluster)
        pgid = _pgid(cluster, node)
        started = time.monotonic()
        os.killpg(pgid, signal.SIGTERM)
        _active(cluster, after_epoch=epoch)
        took = time.monotonic() - started
        time.sleep(4)
        cluster.run("start", node)
        time.sleep(3)
        return took

    took = _under_load(cluster, stop_the_active, "SIGTERM the active", election, capsys)
    assert took < 1.0, f"hand-over took {took:.2f}s"


def test_a_paused_active_is_taken_over_and_wakes_as_a_standby_that_writes_nothing(
        cluster: Cluster, election: str, capsys: pytest.CaptureFixture[str]) -> None:
    _ensure_both_running(cluster)
    node, epoch = _active(cluster)
    with EpochHistory(cluster.env["EMBER_DB_URL"]) as history:
        cluster.run("pause", node)
        successor, new_epoch = _active(cluster, after_epoch=epoch)
        # work for the backend while the old active sleeps: it goes to the new one
        tally, _ = run_load(cluster.endpoint, workers=2, during=lambda: time.sleep(3))
        cluster.run("resume", node)
        time.sleep(4)  # it wakes up, finds its lease gone, and steps down
        engine = _db(cluster)
        try:
            with engine.connect() as conn:
                role, seen = conn.execute(sa.text("SELECT ha_role, ha_epoch FROM services WHERE node = :n"),
                                          {"n": node}).one()
                stale_work = conn.execute(sa.text(
                    "SELECT count(*) FROM tracked_work WHERE backend_host = :b AND epoch <> :e"),
                    {"b": BACKEND_HOST, "e": new_epoch}).scalar_one()
        finally:
            engine.dispose()
    assert successor != node and new_epoch > epoch
    assert (role, seen) == ("standby", new_epoch)
    assert stale_work == 0  # every claim on the backend is the new active's
    assert _backend(cluster) == (new_epoch, successor)  # the old one took nothing back
    history.check()
    lost, duplicates, stuck = _check_invariants(cluster, tally.created)
    assert tally.failed == 0 and (lost, duplicates, stuck) == (0, 0, 0), dict(tally.errors)
    with capsys.disabled():
        print(f"\n{election}: SIGSTOP {node} (epoch {epoch}) -> {successor} active under epoch {new_epoch}; "
              f"resumed as {role}")
