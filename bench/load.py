"""The write scenarios: create→available latency, create+delete throughput, and filling the DB.

Every loop is bounded by a count and a deadline; ``bench.run`` calls these against any endpoint.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bench.client import Api, BenchError


@dataclass(frozen=True)
class LatencyResult:
    samples_ms: list[float]
    errors: list[str]
    volume_ids: list[str]

    @property
    def p50_ms(self) -> float:
        return percentile(self.samples_ms, 50)

    @property
    def p99_ms(self) -> float:
        return percentile(self.samples_ms, 99)


@dataclass(frozen=True)
class ThroughputResult:
    cycles: int
    elapsed_s: float
    errors: list[str]

    @property
    def cycles_per_s(self) -> float:
        return self.cycles / self.elapsed_s if self.elapsed_s > 0 else 0.0


@dataclass
class _Tickets:
    """A bounded supply of work items shared by worker threads, cut short by a deadline."""

    left: int
    deadline: float
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self) -> bool:
        with self.lock:
            if self.left <= 0 or time.monotonic() > self.deadline:
                return False
            self.left -= 1
            return True


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (p99 of 100 samples is the 99th smallest); NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * pct // 100))
    return ordered[int(rank) - 1]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def create_latency(endpoint: str, token: str, *, count: int = 100, warmup: int = 2, poll_s: float = 0.005,
                   timeout_s: float = 30, budget_s: float = 120, keep: bool = True) -> LatencyResult:
    """Sequential creates of 1 GB, each timed from the POST until a GET shows it available.

    With ``keep=False`` each volume is deleted (and awaited gone) after its sample, untimed, so a
    project with a small quota suffices; the result's ``volume_ids`` are the ones left behind.
    """
    api = Api(endpoint, token=token)
    samples: list[float] = []
    errors: list[str] = []
    ids: list[str] = []
    deadline = time.monotonic() + budget_s
    try:
        for i in range(warmup + count):
            if time.monotonic() > deadline:
                errors.append(f"budget of {budget_s:.0f} s spent after {len(samples)} samples")
                break
            started = time.perf_counter()
            try:
                volume_id = api.create_volume()
                ids.append(volume_id)
                api.wait_available(volume_id, poll_s=poll_s, timeout_s=timeout_s)
            except (BenchError, OSError) as exc:
                errors.append(str(exc))
                continue
            if i >= warmup:
                samples.append((time.perf_counter() - started) * 1000)
            if not keep:
                try:
                    api.delete_volume(volume_id)
                    api.wait_gone(volume_id, poll_s=0.02, timeout_s=timeout_s)
                    ids.remove(volume_id)
                except (BenchError, OSError) as exc:
                    errors.append(f"cleaning up: {exc}")
    finally:
        api.close()
    return LatencyResult(samples, errors, ids)


def _run_workers(workers: int, work: Callable[[Api], None], endpoint: str, token: str) -> None:
    def loop() -> None:
        api = Api(endpoint, token=token)
        try:
            work(api)
        finally:
            api.close()

    threads = [threading.Thread(target=loop, name=f"bench-{i}", daemon=True) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def create_delete_throughput(endpoint: str, token: str, *, cycles: int = 200, workers: int = 10,
                             poll_s: float = 0.005, timeout_s: float = 30,
                             budget_s: float = 120) -> ThroughputResult:
    """``workers`` threads loop create → available → delete → 404 until ``cycles`` are done."""
    tickets = _Tickets(cycles, time.monotonic() + budget_s)
    done: list[int] = []
    errors: list[str] = []

    def work(api: Api) -> None:
        while tickets.take():
            try:
                volume_id = api.create_volume()
                api.wait_available(volume_id, poll_s=poll_s, timeout_s=timeout_s)
                api.delete_volume(volume_id)
                api.wait_gone(volume_id, poll_s=poll_s, timeout_s=timeout_s)
            except (BenchError, OSError) as exc:
                errors.append(str(exc))
                continue
            done.append(1)

    started = time.perf_counter()
    _run_workers(workers, work, endpoint, token)
    elapsed = time.perf_counter() - started
    if tickets.left > 0:
        errors.append(f"budget of {budget_s:.0f} s spent with {tickets.left} cycles not started")
    return ThroughputResult(len(done), elapsed, errors)


def populate(endpoint: str, token: str, *, count: int, workers: int = 10,
             timeout_s: float = 120) -> tuple[list[str], list[str]]:
    """Create ``count`` volumes with ``workers`` threads, then wait until all are available.

    Returns the ids created (available or not) and the errors met.
    """
    tickets = _Tickets(count, time.monotonic() + timeout_s)
    ids: list[str] = []
    errors: list[str] = []

    def create(api: Api) -> None:
        while tickets.take():
            try:
                ids.append(api.create_volume())
            except (BenchError, OSError) as exc:
                errors.append(str(exc))

    _run_workers(workers, create, endpoint, token)
    chunks = [ids[i::workers] for i in range(workers)]

    def wait(api: Api) -> None:
        for volume_id in chunks.pop():
            try:
                api.wait_available(volume_id, poll_s=0.05, timeout_s=max(0.1, tickets.deadline - time.monotonic()))
            except (BenchError, OSError) as exc:
                errors.append(str(exc))

    _run_workers(workers, wait, endpoint, token)
    return ids, errors


def delete_all(endpoint: str, token: str, volume_ids: list[str], *, workers: int = 10) -> int:
    """Send a delete for each volume (no waiting); returns how many were refused."""
    pending = list(volume_ids)
    lock = threading.Lock()
    refused: list[str] = []

    def work(api: Api) -> None:
        while True:
            with lock:
                if not pending:
                    return
                volume_id = pending.pop()
            try:
                api.delete_volume(volume_id)
            except (BenchError, OSError):
                refused.append(volume_id)

    _run_workers(workers, work, endpoint, token)
    return len(refused)
