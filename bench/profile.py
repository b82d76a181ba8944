"""Where each path's milliseconds go: per request, the wall time, the CPU each process spent (ember's
services, MariaDB, RabbitMQ) and the SQL statements MariaDB ran, on a split ember.

Each step runs ``--repeat`` times one after another on a quiet stack (SplitStack, no-op driver, two
volume services); CPU comes from /proc for every process of a group and MariaDB's statements from its
global status counters (``SHOW GLOBAL STATUS``: read-only), minus what the idle stack does in the same
time (heartbeats, lease renewals, pool reports), measured for a few seconds first.

  python -m bench.profile [--repeat 40] [--json-out FILE]

Run it alone on the machine (``flock /tmp/ember-heavy.lock``): other work's CPU is not in the figures,
but its wait is in the wall times.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import psutil
import sqlalchemy as sa

from bench import attach
from bench.client import Api, BenchError
from bench.stack import MARIADB_URL, SplitStack

STATUS_KEYS = ("Questions", "Com_select", "Com_insert", "Com_update", "Com_delete", "Com_commit", "Com_rollback")
SERVICES = ("api", "scheduler", "volume", "backup")
SERVERS = {"mariadb": ("mariadbd", "mysqld"), "rabbitmq": ("beam.smp",)}
IDLE_S = 4.0
Step = Callable[[], None]


@dataclass
class StepFigures:
    name: str
    wall_ms: list[float] = field(default_factory=list)
    cpu_ms: dict[str, float] = field(default_factory=dict)  # group -> total over the repeats
    sql: dict[str, float] = field(default_factory=dict)  # status key -> total over the repeats
    seconds: float = 0.0  # wall time of the repeats, for the idle correction


class Probe:
    """CPU seconds of process groups and MariaDB's statement counters, read together."""

    def __init__(self, stack_pids: dict[str, int]) -> None:
        self._groups: dict[str, list[psutil.Process]] = {}
        for name, pid in stack_pids.items():
            group = next((s for s in SERVICES if name.startswith(s)), name)
            self._groups.setdefault(group, []).append(psutil.Process(pid))
        for group, names in SERVERS.items():
            found = [p for p in psutil.process_iter(["name"]) if p.info["name"] in names]
            if found:
                self._groups[group] = found
        self._engine = sa.create_engine(MARIADB_URL, pool_size=1, hide_parameters=True)

    def close(self) -> None:
        self._engine.dispose()

    def read(self) -> tuple[dict[str, float], dict[str, float]]:
        cpu = {group: sum(_cpu_s(p) for p in procs) for group, procs in self._groups.items()}
        with self._engine.connect() as conn:
            rows = conn.exec_driver_sql("SHOW GLOBAL STATUS WHERE Variable_name IN ("
                                        + ",".join(f"'{k}'" for k in STATUS_KEYS) + ")").all()
        return cpu, {str(k): float(v) for k, v in rows}


def _cpu_s(proc: psutil.Process) -> float:
    try:
        times = proc.cpu_times()
    except psutil.Error:
        return 0.0
    return float(times.user + times.system + times.children_user + times.children_system)


def measure_once(probe: Probe, name: str, step: Step) -> StepFigures:
    figures = StepFigures(name)
    cpu_before, sql_before = probe.read()
    began = time.perf_counter()
    step()
    figures.seconds = time.perf_counter() - began
    figures.wall_ms.append(figures.seconds * 1000)
    cpu_after, sql_after = probe.read()
    figures.cpu_ms = {g: (cpu_after[g] - cpu_before[g]) * 1000 for g in cpu_before}
    # the probe's own SHOW STATUS counts once as a question
    figures.sql = {k: sql_after.get(k, 0) - sql_before.get(k, 0) - (1 if k == "Questions" else 0) for k in STATUS_KEYS}
    return figures


def per_request(step: StepFigures, idle: StepFigures, repeat: int) -> dict[str, Any]:
    """The step's figures per request, less what the idle stack did in the same time."""
    scale = step.seconds / idle.seconds if idle.seconds else 0.0
    cpu = {g: (ms - idle.cpu_ms.get(g, 0.0) * scale) / repeat for g, ms in step.cpu_ms.items()}
    sql = {k: max(v - idle.sql.get(k, 0.0) * scale, 0.0) / repeat for k, v in step.sql.items()}
    return {"wall_p50_ms": statistics.median(step.wall_ms), "cpu_ms": cpu, "sql": sql}


class Steps:
    """The requests of each path, on volumes of the bench's own."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.volume_id = attach.make_volumes(api, 1, [])[0]
        self._created: list[str] = []
        self._attachment: str | None = None

    def create_until_available(self) -> None:
        status, body = self.api.request("POST", "/volumes", {"volume": {"size": 1}})
        if status != 202:
            raise BenchError(f"create: HTTP {status}: {body}")
        volume_id = body["volume"]["id"]
        self._created.append(volume_id)
        _wait(self.api, volume_id, lambda s, b: s == 200 and b["volume"]["status"] == "available")

    def delete_until_gone(self) -> None:
        volume_id = self._created.pop()
        status, body = self.api.request("DELETE", f"/volumes/{volume_id}")
        if status != 202:
            raise BenchError(f"delete: HTTP {status}: {body}")
        _wait(self.api, volume_id, lambda s, b: s == 404)

    def delete_created(self) -> None:
        while self._created:
            self.delete_until_gone()

    def show(self) -> None:
        self.api.request("GET", f"/volumes/{self.volume_id}")

    def reserve(self) -> None:
        status, body = self.api.request("POST", "/attachments", {"attachment": {
            "volume_uuid": self.volume_id, "instance_uuid": str(uuid.uuid4())}})
        if status != 200:
            raise BenchError(f"reserve: HTTP {status}: {body}")
        self._attachment = body["attachment"]["id"]

    def connect(self) -> None:
        self._expect("PUT", f"/attachments/{self._attachment}", {"attachment": {"connector": attach.CONNECTOR}}, 200)

    def complete(self) -> None:
        self._expect("POST", f"/attachments/{self._attachment}/action", {"os-complete": {}}, 204)

    def disconnect(self) -> None:
        self._expect("DELETE", f"/attachments/{self._attachment}", None, 200)

    def _expect(self, method: str, path: str, body: Any, wanted: int) -> None:
        status, answer = self.api.request(method, path, body)
        if status != wanted:
            raise BenchError(f"{method} {path}: HTTP {status}: {answer}")


def _wait(api: Api, volume_id: str, done: Callable[[int, Any], bool], timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        status, body = api.request("GET", f"/volumes/{volume_id}")
        if done(status, body):
            return
        if time.monotonic() > deadline:
            raise BenchError(f"volume {volume_id}: still HTTP {status} {body} after {timeout_s} s")
        time.sleep(0.005)


def run(repeat: int) -> dict[str, Any]:
    stack = SplitStack(driver="noop", volume_services=2).start()
    try:
        api = Api(stack.endpoint, token=attach.TOKEN, timeout_s=60, version=attach.VERSION)
        steps = Steps(api)
        whole_cycle = _seq(steps.reserve, steps.connect, steps.complete, steps.disconnect)
        for _ in range(3):  # warm-up: connections, caches, the first export
            whole_cycle()
        probe = Probe(stack.pids())
        try:
            idle = measure_once(probe, "idle", lambda: time.sleep(IDLE_S))
            results: dict[str, Any] = {}
            # (name, set-up, the request timed, tear-down): the attach steps are timed one request at a time
            paths: list[tuple[str, Step, Step, Step]] = [
                ("POST /volumes → available (5 ms polls)", _seq(), steps.create_until_available, _seq()),
                ("DELETE /volumes/{id} → 404 (5 ms polls)", steps.create_until_available, steps.delete_until_gone,
                 _seq()),
                ("GET /volumes/{id}", _seq(), steps.show, _seq()),
                ("POST /attachments (reserve)", _seq(), steps.reserve,
                 _seq(steps.connect, steps.complete, steps.disconnect)),
                ("PUT /attachments/{id} (connect)", steps.reserve, steps.connect,
                 _seq(steps.complete, steps.disconnect)),
                ("POST .../action os-complete", _seq(steps.reserve, steps.connect), steps.complete, steps.disconnect),
                ("DELETE /attachments/{id} (disconnect)", _seq(steps.reserve, steps.connect, steps.complete),
                 steps.disconnect, _seq()),
            ]
            for name, before, step, after in paths:
                figures = _one_at_a_time(probe, name, repeat, before, step, after)
                results[name] = per_request(figures, idle, repeat)
            steps.delete_created()
        finally:
            probe.close()
            api.close()
        return {"repeat": repeat, "steps": results}
    finally:
        stack.close()


def _seq(*calls: Step) -> Step:
    """The calls one after another, as one step (none: a step that does nothing)."""
    def run_all() -> None:
        for call in calls:
            call()

    return run_all


def _one_at_a_time(probe: Probe, name: str, repeat: int, before: Step, step: Step, after: Step) -> StepFigures:
    """``step`` ``repeat`` times, the probe read around each one only (set-up and tear-down are not counted)."""
    total = StepFigures(name)
    for _ in range(repeat):
        before()
        one = measure_once(probe, name, step)
        after()
        total.wall_ms += one.wall_ms
        total.seconds += one.seconds
        for group, ms in one.cpu_ms.items():
            total.cpu_ms[group] = total.cpu_ms.get(group, 0.0) + ms
        for key, count in one.sql.items():
            total.sql[key] = total.sql.get(key, 0.0) + count
    return total


def table(result: dict[str, Any]) -> str:
    steps = result["steps"]
    groups = ["api", "scheduler", "volume", "mariadb", "rabbitmq"]
    lines = [f"{'request':<42}{'wall p50':>9} | CPU ms: " + " ".join(f"{g:>9}" for g in groups)
             + f" | {'SQL':>5} {'sel':>5} {'ins':>4} {'upd':>5} {'del':>4} {'commit':>6}"]
    for name, figures in steps.items():
        cpu = figures["cpu_ms"]
        sql = figures["sql"]
        lines.append(f"{name:<42}{figures['wall_p50_ms']:>7.1f}ms | CPU ms: "
                     + " ".join(f"{cpu.get(g, 0.0):>9.2f}" for g in groups)
                     + f" | {sql['Questions']:>5.1f} {sql['Com_select']:>5.1f} {sql['Com_insert']:>4.1f} "
                       f"{sql['Com_update']:>5.1f} {sql['Com_delete']:>4.1f} {sql['Com_commit']:>6.1f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=40, help="requests timed per step (default 40)")
    parser.add_argument("--json-out", metavar="FILE")
    args = parser.parse_args(argv)
    if subprocess.run(["rabbitmqctl", "-q", "status"], capture_output=True, check=False).returncode != 0:
        print("RabbitMQ is not reachable with rabbitmqctl", file=sys.stderr)
        return 1
    result = run(args.repeat)
    print(table(result))
    if args.json_out:
        with open(args.json_out, "w") as out:
            json.dump(result, out, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
