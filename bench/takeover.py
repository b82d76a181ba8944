"""Takeover time of a backend's volume service: kill -9 (and SIGTERM) of the active, until the standby is.

A split ember (MariaDB + RabbitMQ, no-op driver) with two volume services for one backend,
electing through the SQL DB or through etcd (one etcd member started here, on free ports),
with ember's default lease. Each trial waits for a settled pair (one active, one standby
heartbeating), signals the active and times until the other node holds the backend under a
higher epoch (read from the DB every 10 ms), then restarts the stopped one.

  python -m bench.takeover [--elections sql,etcd] [--trials 10]
"""

from __future__ import annotations

import argparse
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.load import percentile
from bench.stack import SplitStack, free_port

BACKEND_HOST = "split@noop-1"


class Etcd:
    """One etcd member on free ports, in a temporary folder."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="ember-etcd-"))
        self.client_port, self.peer_port = free_port(), free_port()
        client, peer = f"http://127.0.0.1:{self.client_port}", f"http://127.0.0.1:{self.peer_port}"
        self.proc = subprocess.Popen(
            ["etcd", "--name", "bench", "--data-dir", str(self.dir / "data"), "--listen-client-urls", client,
             "--advertise-client-urls", client, "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
             "--initial-cluster", f"bench={peer}", "--heartbeat-interval", "100", "--election-timeout", "500"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        self.url = f"etcd3+http://127.0.0.1:{self.client_port}"

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


def _holder(engine: sa.Engine) -> tuple[int, str | None]:
    with engine.connect() as conn:
        row = conn.execute(sa.text("SELECT epoch, holder FROM backends WHERE backend_host = :b"),
                           {"b": BACKEND_HOST}).first()
    return (int(row.epoch), row.holder) if row else (0, None)


def _settled(engine: sa.Engine, started: dict[str, datetime], timeout_s: float = 60) -> tuple[int, str]:
    """(epoch, active) once one node is active and every node, since its start, has beaten under that epoch."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        epoch, holder = _holder(engine)
        with engine.connect() as conn:
            seen = {row.node: (row.ha_epoch, row.heartbeat_at) for row in conn.execute(sa.text(
                "SELECT node, ha_epoch, heartbeat_at FROM services WHERE host = :b"), {"b": BACKEND_HOST})}
        ready = all(node in seen and seen[node][0] == epoch and seen[node][1] > since
                    for node, since in started.items())
        if holder in started and ready:
            return epoch, holder
        time.sleep(0.1)
    raise RuntimeError(f"the pair did not settle: {_holder(engine)}")


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def trials(stack: SplitStack, *, sig: int, count: int) -> list[float]:
    engine = sa.create_engine(stack.db_url, pool_size=1, hide_parameters=True)
    spawned = {node: datetime(2000, 1, 1) for node in stack.volume_nodes()}
    took = []
    try:
        for _ in range(count):
            epoch, active = _settled(engine, spawned)
            process = stack.processes[active]
            began = time.monotonic()
            process.popen.send_signal(sig)
            while _holder(engine)[0] == epoch:
                time.sleep(0.01)
            took.append(time.monotonic() - began)
            process.stop(timeout_s=15)
            spawned[active] = _utcnow()
            stack.spawn(active, ["ember-volume"], host=active)
    finally:
        engine.dispose()
    return took


def run(*, elections: list[str], count: int) -> list[dict[str, Any]]:
    results = []
    for election in elections:
        etcd = Etcd() if election == "etcd" else None
        stack = SplitStack(driver="noop", volume_services=2, schedulers=1,
                           coordination_url=etcd.url if etcd else "sql://")
        try:
            print(f"[takeover] {election}: starting", file=sys.stderr, flush=True)
            stack.start()
            row: dict[str, Any] = {"election": election}
            for name, sig in (("kill -9", signal.SIGKILL), ("SIGTERM", signal.SIGTERM)):
                print(f"[takeover] {election}: {count} × {name}", file=sys.stderr, flush=True)
                row[name] = trials(stack, sig=sig, count=count)
            results.append(row)
        finally:
            stack.close()
            if etcd:
                etcd.close()
    return results


def table(results: list[dict[str, Any]]) -> str:
    lines = ["| election | kill -9 → standby active: p50 / max | SIGTERM hand-over: p50 / max | trials |",
             "|---|---:|---:|---:|"]
    for row in results:
        kill, term = row["kill -9"], row["SIGTERM"]
        lines.append(f"| {row['election']} | {percentile(kill, 50):.2f} / {max(kill):.2f} s | "
                     f"{percentile(term, 50):.3f} / {max(term):.3f} s | {len(kill)} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.takeover", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--elections", default="sql,etcd")
    parser.add_argument("--trials", type=int, default=10)
    args = parser.parse_args(argv)
    print(table(run(elections=args.elections.split(","), count=args.trials)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
