"""The four measurements against one endpoint, in order, as one JSON-ready dict.

1 create→available latency, 2 create+delete throughput, 3 read rates with the DB filled,
4 resident memory. Where the pids are known, the CPU the ember processes spent is added.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench import load, procs, reads

Pids = Callable[[], dict[str, int]]


@dataclass(frozen=True)
class Plan:
    creates: int = 100
    cycles: int = 200
    workers: int = 10
    volumes: int = 1000
    duration_s: float = 10
    poll_ms: float = 5
    cycle_poll_ms: tuple[float, ...] = (5, 50)
    repeat: int = 1


@dataclass
class Measurement:
    config: str
    endpoint: str
    token: str
    plan: Plan
    pids: Pids | None = None
    live_ids: list[str] = field(default_factory=list)  # what the caller deletes afterwards, even on failure
    result: dict[str, Any] = field(default_factory=dict)

    def run(self) -> dict[str, Any]:
        self.result.update(config=self.config, endpoint=self.endpoint, errors=[])
        self.latency()
        self.throughput()
        self.fill()
        self.reads()
        self.memory()
        return self.result

    def _say(self, message: str) -> None:
        print(f"[{self.config}] {message}", file=sys.stderr, flush=True)

    def _cpu(self) -> float | None:
        return sum(procs.cpu_seconds(self.pids()).values()) if self.pids else None

    def latency(self) -> None:
        plan = self.plan
        self._say(f"1/4 create→available: {plan.creates} sequential creates, polling every {plan.poll_ms:g} ms")
        lat = load.create_latency(self.endpoint, self.token, count=plan.creates, poll_s=plan.poll_ms / 1000)
        self.live_ids += lat.volume_ids
        samples = lat.samples_ms
        self.result["create_latency"] = {
            "samples": len(samples), "poll_ms": plan.poll_ms, "p50_ms": lat.p50_ms, "p99_ms": lat.p99_ms,
            "mean_ms": sum(samples) / len(samples) if samples else math.nan,
            "min_ms": min(samples, default=math.nan), "max_ms": max(samples, default=math.nan),
            "errors": lat.errors[:20]}

    def throughput(self) -> None:
        plan = self.plan
        by_poll = []
        for poll_ms in plan.cycle_poll_ms:
            runs, cpu_ms = [], []
            for i in range(plan.repeat):
                self._say(f"2/4 create+delete: {plan.cycles} cycles, {plan.workers} threads, polling every "
                          f"{poll_ms:g} ms (run {i + 1}/{plan.repeat})")
                cpu_before = self._cpu()
                run = load.create_delete_throughput(self.endpoint, self.token, cycles=plan.cycles,
                                                    workers=plan.workers, poll_s=poll_ms / 1000)
                runs.append(run)
                if cpu_before is not None and run.cycles:
                    cpu_ms.append(((self._cpu() or 0) - cpu_before) * 1000 / run.cycles)
            by_poll.append({
                "poll_ms": poll_ms, "cycles_per_s": load.median([r.cycles_per_s for r in runs]),
                "runs_cycles_per_s": [r.cycles_per_s for r in runs], "cycles": [r.cycles for r in runs],
                "elapsed_s": [r.elapsed_s for r in runs], "cpu_ms_per_cycle": load.median(cpu_ms),
                "errors": [e for r in runs for e in r.errors][:20]})
        self.result["create_delete"] = {"workers": plan.workers, "target_cycles": plan.cycles, **by_poll[0],
                                        "by_poll": by_poll}

    def fill(self) -> None:
        missing = max(0, self.plan.volumes - len(self.live_ids))
        self._say(f"3/4 filling the DB to {self.plan.volumes} volumes ({missing} creates, "
                  f"{self.plan.workers} threads)")
        started = time.perf_counter()
        created, errors = load.populate(self.endpoint, self.token, count=missing, workers=self.plan.workers)
        elapsed = time.perf_counter() - started
        self.live_ids += created
        self.result["populate"] = {"volumes_total": len(self.live_ids), "created": len(created),
                                   "workers": self.plan.workers, "elapsed_s": elapsed,
                                   "created_per_s": len(created) / elapsed if elapsed > 0 else math.nan,
                                   "errors": errors[:20]}
        if errors:
            self.result["errors"].append(f"{len(errors)} of {missing} creates failed while filling the DB: "
                                         f"{errors[0]}")

    def reads(self) -> None:
        plan = self.plan
        self.result["reads"] = {"tool": reads.tool_name(), "threads": 2, "connections": 10,
                                "duration_s": plan.duration_s}
        for key, path, ids in (("detail", "/volumes/detail?limit=100", None),
                               ("show", "/volumes/", self.live_ids)):
            shown = path + ("{id}" if ids else "")
            samples, cpu_ms = [], []
            for i in range(plan.repeat):
                self._say(f"3/4 GET {shown} for {plan.duration_s:g} s (run {i + 1}/{plan.repeat})")
                cpu_before = self._cpu()
                sample = reads.read_rate(self.endpoint, self.token, path=path, ids=ids, duration_s=plan.duration_s)
                samples.append(sample)
                if cpu_before is not None and sample.requests:
                    cpu_ms.append(((self._cpu() or 0) - cpu_before) * 1000 / sample.requests)
            middle = sorted(samples, key=lambda s: s.rps)[len(samples) // 2]
            self.result["reads"][key] = {
                "path": shown, "rps": load.median([s.rps for s in samples]), "runs_rps": [s.rps for s in samples],
                "requests": middle.requests, "errors": sum(s.errors for s in samples), "p50_ms": middle.p50_ms,
                "p99_ms": middle.p99_ms, "cpu_ms_per_request": load.median(cpu_ms)}

    def memory(self) -> None:
        if self.pids is None:
            return
        self._say("4/4 resident memory")
        figures = procs.memory(self.pids())
        pss = [f.pss_mib for f in figures]
        self.result["memory"] = {
            "processes": [vars(f) for f in figures], "total_rss_mib": sum(f.rss_mib for f in figures),
            "total_pss_mib": sum(p for p in pss if p is not None) if None not in pss else None}
