"""``bench.run --compare URL``: ember beside another Cinder v3 endpoint, the same scenarios, one table.

ember runs as a ``SplitStack`` (MariaDB, RabbitMQ, 2 schedulers, 2 volume services for one
no-op backend: one active, one standby) started here. The two endpoints take turns, ember
first, for ``rounds`` rounds; each round runs every scenario, then reads the memory; the table
gives each figure's median over the rounds. Both sides get a project of their own
(a random hex id, noauth token ``bench:<project>``), and their volumes are deleted after
each round. "ember better by" is other/ember for times, CPU and memory, ember/other for rates.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench import attach, load, procs
from bench.client import Api, BenchError
from bench.report import memory_table, number

WORKERS = 10
ADMIN_TOKEN = "admin:admin"
BUSY_PERCENT = 20.0


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    unit: str
    higher_is_better: bool
    goal: float  # how many times better ember should be

    def better_by(self, ember: float, other: float) -> float:
        """other/ember for times, CPU and memory; ember/other for rates; NaN when either is missing."""
        if any(math.isnan(v) or v <= 0 for v in (ember, other)):
            return math.nan
        return ember / other if self.higher_is_better else other / ember

    def met(self, ember: float, other: float) -> str:
        ratio = self.better_by(ember, other)
        return "n/a" if math.isnan(ratio) else "yes" if ratio >= self.goal else "no"


FIGURES = [
    Figure("create_p50_poll100", "create→available p50, poll 100 ms", "ms", False, 10),
    Figure("create_p99_poll100", "create→available p99, poll 100 ms", "ms", False, 10),
    Figure("create_p50_poll5", "create→available p50, poll 5 ms", "ms", False, 10),
    Figure("create_p99_poll5", "create→available p99, poll 5 ms", "ms", False, 10),
    Figure("cycles_per_s", "create+delete cycles/s @10", "/s", True, 10),
    Figure("cpu_ms_per_cycle", "service CPU per create+delete", "ms", False, 20),
    Figure("attach_cycles_per_s", "attach cycles/s @10", "/s", True, 10),
    Figure("attach_p50_ms", "attach cycle p50 @10", "ms", False, 10),
    Figure("attach_p99_ms", "attach cycle p99 @10", "ms", False, 10),
    Figure("attach_cpu_ms", "service CPU per attach cycle", "ms", False, 10),
    Figure("reserve_p50_ms", "POST /attachments (reserve) p50", "ms", False, 10),
    Figure("connect_p50_ms", "PUT /attachments/{id} connector p50", "ms", False, 10),
    Figure("complete_p50_ms", "os-complete p50", "ms", False, 10),
    Figure("disconnect_p50_ms", "DELETE /attachments/{id} p50", "ms", False, 10),
    Figure("reserve_connect_p50_ms", "POST /attachments +connector p50", "ms", False, 10),
    Figure("rss_total_mib", "resident memory (RSS)", "MiB", False, 3),
]
STEP_KEYS = dict(zip(attach.STEPS, ("reserve_p50_ms", "connect_p50_ms", "complete_p50_ms", "disconnect_p50_ms")))


@dataclass(frozen=True)
class Plan:
    creates: int = 100
    cycles: int = 200
    cycle_poll_ms: float = 5
    attach_cycles: int = 50
    attach_duration_s: float = 20
    rounds: int = 2


@dataclass
class Side:
    """One endpoint as the comparison drives it: where, as whom, and its processes."""

    name: str
    endpoint: str  # resolved: with the project in the path when the service needs it
    token: str
    version: str
    pids: Callable[[], dict[str, int]] | None = None
    notes: list[str] = field(default_factory=list)

    def cpu(self) -> float | None:
        return sum(procs.cpu_seconds(self.pids()).values()) if self.pids else None

    def say(self, message: str) -> None:
        print(f"[compare {self.name}] {message}", file=sys.stderr, flush=True)


def _get(url: str, path: str, token: str, version: str | None = None) -> tuple[int, Any]:
    api = Api(url, token=token, timeout_s=10, version=version)
    try:
        return api.request("GET", path)
    except (OSError, ValueError) as exc:
        return 0, str(exc)
    finally:
        api.close()


def max_version(url: str, wanted: str = attach.VERSION) -> str:
    """The lower of ``wanted`` and the newest 3.x microversion the version document at the root names."""
    _status, body = _get(url.split("/v3")[0], "/", "")
    versions = body.get("versions", []) if isinstance(body, dict) else []
    newest = next((v.get("version") for v in versions if str(v.get("id", "")).startswith("v3")), None)
    if not newest:
        return wanted
    return min(wanted, newest, key=lambda v: tuple(int(p) for p in v.split(".")))


def resolve(url: str, project: str, token: str, version: str) -> str:
    """``url`` when it serves project-less paths (``/v3/volumes``), else ``url/<project>``."""
    url = url.rstrip("/")
    answers = []
    for candidate in (url, f"{url}/{project}"):
        status, body = _get(candidate, "/volumes?limit=1", token, version)
        if status == 200:
            return candidate
        answers.append(f"{candidate}/volumes: HTTP {status} {str(body)[:200]}")
    raise SystemExit("the endpoint lists no volumes in either form:\n  " + "\n  ".join(answers))


def lift_quota(url: str, endpoint: str, project: str) -> str | None:
    """Unlimited volumes and gigabytes for ``project``, as admin; the refusal's text when refused."""
    base = url.rstrip("/") if endpoint == url.rstrip("/") else f"{url.rstrip('/')}/admin"
    api = Api(base, token=ADMIN_TOKEN)
    try:
        status, body = api.request("PUT", f"/os-quota-sets/{project}", {"quota_set": {
            "volumes": -1, "gigabytes": -1, "snapshots": -1}})
    finally:
        api.close()
    return None if status == 200 else f"quota of {project} not lifted (HTTP {status}: {str(body)[:200]})"


def make_side(name: str, url: str, pids: Callable[[], dict[str, int]] | None) -> Side:
    project = uuid.uuid4().hex  # hex: Cinder takes /v3/<project_id>/ only when it matches [0-9a-f-]+
    token = f"bench:{project}"
    version = max_version(url)
    endpoint = resolve(url, project, token, version)
    side = Side(name, endpoint, token, version, pids)
    if endpoint != url.rstrip("/"):
        side.notes.append(f"needs the project in the URL: {endpoint}")
    refused = lift_quota(url, endpoint, project)
    if refused:
        side.notes.append(refused + "; going on with the default quota")
    return side


def delete_all_volumes(side: Side, timeout_s: float = 300) -> int:
    """Delete every volume of the side's project (their attachments first); how many are left."""
    api = Api(side.endpoint, token=side.token, version=side.version, timeout_s=60)
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            status, body = api.request("GET", "/volumes/detail?limit=1000")
            if status != 200:
                raise BenchError(f"listing the volumes: HTTP {status}: {body}")
            volumes = body["volumes"]
            if not volumes or time.monotonic() > deadline:
                return len(volumes)
            for volume in volumes:
                if volume["status"] in ("deleting", "creating"):
                    continue
                if volume["status"] not in ("available", "error"):
                    _status, found = api.request("GET", f"/attachments?volume_id={volume['id']}")
                    for attachment in (found if isinstance(found, dict) else {}).get("attachments", []):
                        api.request("DELETE", f"/attachments/{attachment['id']}")
                api.request("DELETE", f"/volumes/{volume['id']}")
            time.sleep(0.5)
    finally:
        api.close()


def run_round(side: Side, plan: Plan) -> dict[str, Any]:
    """Every scenario once on ``side``: the figures, the memory per process, the errors."""
    figures: dict[str, float] = {}
    errors: list[str] = []
    busy = procs.machine_busy_percent()
    for poll_ms in (100, 5):
        side.say(f"create→available: {plan.creates} sequential creates, polling every {poll_ms} ms")
        lat = load.create_latency(side.endpoint, side.token, count=plan.creates, poll_s=poll_ms / 1000,
                                  keep=False, budget_s=max(120.0, plan.creates * 10))
        figures[f"create_p50_poll{poll_ms}"], figures[f"create_p99_poll{poll_ms}"] = lat.p50_ms, lat.p99_ms
        errors += lat.errors[:5]
    side.say(f"create+delete: {plan.cycles} cycles, {WORKERS} threads, polling every {plan.cycle_poll_ms:g} ms")
    cpu_before = side.cpu()
    cyc = load.create_delete_throughput(side.endpoint, side.token, cycles=plan.cycles, workers=WORKERS,
                                        poll_s=plan.cycle_poll_ms / 1000, budget_s=max(120.0, plan.cycles * 2))
    cpu_after = side.cpu()
    figures["cycles_per_s"] = cyc.cycles_per_s
    figures["cpu_ms_per_cycle"] = ((cpu_after - cpu_before) * 1000 / cyc.cycles
                                   if cpu_before is not None and cpu_after is not None and cyc.cycles else math.nan)
    errors += cyc.errors[:5]
    side.say(f"attach: {plan.attach_cycles} sequential cycles and reserve+connect requests, then "
             f"{WORKERS} workers for {plan.attach_duration_s:g} s")
    try:
        att = attach.measure(side.endpoint, token=side.token, version=side.version, cycles=plan.attach_cycles,
                             workers=WORKERS, duration_s=plan.attach_duration_s, cpu=side.cpu,
                             connects=plan.attach_cycles)
        figures.update(attach_cycles_per_s=att["cycles_per_s"], attach_p50_ms=att["concurrent_cycle_p50_ms"],
                       attach_p99_ms=att["concurrent_cycle_p99_ms"], attach_cpu_ms=att["cpu_ms_per_cycle"],
                       reserve_connect_p50_ms=att.get("connect_p50_ms", math.nan))
        figures.update({key: att["steps"][step]["p50_ms"] for step, key in STEP_KEYS.items()})
        errors += att["errors"][:5]
    except (BenchError, OSError) as exc:
        errors.append(f"attach: {exc}")
    side.say("deleting the round's volumes")
    left = delete_all_volumes(side)
    if left:
        errors.append(f"{left} volumes still there after the round")
    memory = procs.memory(side.pids()) if side.pids else []
    figures["rss_total_mib"] = sum(m.rss_mib for m in memory) if memory else math.nan
    return {"side": side.name, "busy_percent": busy, "figures": figures, "errors": errors,
            "memory": [vars(m) for m in memory]}


def medians(rounds: list[dict[str, Any]], side: str) -> dict[str, float]:
    """Each figure's median over the rounds ``side`` ran (NaN samples left out)."""
    ours = [r["figures"] for r in rounds if r["side"] == side]
    samples = {f.key: [r.get(f.key, math.nan) for r in ours] for f in FIGURES}
    return {key: load.median([v for v in values if not math.isnan(v)]) for key, values in samples.items()}


def rows(ember: dict[str, float], other: dict[str, float]) -> list[dict[str, Any]]:
    return [{"figure": f.key, "label": f.label, "unit": f.unit, "other": other[f.key], "ember": ember[f.key],
             "ember_better_by": f.better_by(ember[f.key], other[f.key]), "goal": f.goal,
             "met": f.met(ember[f.key], other[f.key])} for f in FIGURES]


def table(table_rows: list[dict[str, Any]], memory: dict[str, list[dict[str, Any]]]) -> str:
    lines = [f"{'figure':<38}{'other':>12}{'ember':>12}{'ember better by':>17}{'goal':>7}  met", "-" * 92]
    for row in table_rows:
        label = row["label"]
        if row["figure"] == "rss_total_mib":
            label += f", {_processes(memory['other'])} / {_processes(memory['ember'])} procs"
        ratio = row["ember_better_by"]
        lines.append(f"{label:<38}{number(row['other'], row['unit']):>12}{number(row['ember'], row['unit']):>12}"
                     f"{'-' if math.isnan(ratio) else number(ratio) + '×':>17}{row['goal']:>6g}×"
                     f"  {row['met']}")
    return "\n".join(lines)


def _processes(memory: list[dict[str, Any]]) -> int:
    return sum(m["processes"] for m in memory)


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Start ember, alternate the rounds, print the table; the JSON-ready result."""
    from bench.stack import SplitStack

    plan = Plan(creates=args.creates, cycles=args.cycles, cycle_poll_ms=args.cycle_poll[0],
                attach_cycles=args.attach_cycles or 50, attach_duration_s=args.attach_duration, rounds=args.rounds)
    other_pids = ((lambda: procs.pids_from_command(args.compare_pids_from, names=None))
                  if args.compare_pids_from else None)
    other = make_side("other", args.compare, other_pids)
    print(f"[compare] other endpoint {other.endpoint} (microversion {other.version}); starting ember "
          "(SplitStack: no-op driver, 2 schedulers, 2 volume services)", file=sys.stderr, flush=True)
    stack = SplitStack(driver="noop", volume_services=2)
    rounds: list[dict[str, Any]] = []
    try:
        stack.start()
        ember = make_side("ember", stack.endpoint, stack.pids)
        for i in range(plan.rounds):
            for side in (ember, other):
                side.say(f"round {i + 1}/{plan.rounds}")
                rounds.append({"round": i + 1, **run_round(side, plan)})
    finally:
        stack.close()
        try:
            left = delete_all_volumes(other)
        except (BenchError, OSError) as exc:
            left, other.notes = -1, [*other.notes, f"deleting the volumes: {exc}"]
        if left:
            other.notes.append(f"benchmark volumes left behind (project token {other.token})")
    table_rows = rows(medians(rounds, "ember"), medians(rounds, "other"))
    memory: dict[str, list[dict[str, Any]]] = {
        name: next((r["memory"] for r in reversed(rounds) if r["side"] == name), []) for name in ("ember", "other")}
    print(f"\n=== ember vs {other.endpoint}: medians over {plan.rounds} round(s), the two taking turns ({plan.creates} creates per "
          f"latency, {plan.cycles} create+delete cycles polling every {plan.cycle_poll_ms:g} ms, "
          f"{plan.attach_cycles} sequential attach cycles, {plan.attach_duration_s:g} s of attach @10) ===")
    print(table(table_rows, memory))
    for name in ("other", "ember"):
        print(f"\nresident memory per process, {name} (after its last round):")
        print(memory_table(memory[name]))
    notes = [f"{side.name}: {note}" for side in (other, ember) for note in side.notes]
    notes += [f"round {r['round']} {r['side']}: other processes kept the cores {r['busy_percent']:.0f}% busy before it"
              for r in rounds if r["busy_percent"] > BUSY_PERCENT]
    notes += [f"round {r['round']} {r['side']} error: {e}" for r in rounds for e in r["errors"][:5]]
    for note in notes:
        print(f"  NOTE: {note}")
    return {"config": "compare", "other": args.compare, "other_endpoint": other.endpoint,
            "other_version": other.version, "plan": vars(plan), "rounds": rounds, "comparison": table_rows,
            "memory": memory, "notes": notes,
            "errors": [e for r in rounds for e in r["errors"]]}
