"""Read rate: requests per second of one GET path, with wrk or (when wrk is missing) Python threads.

wrk runs ``wrk_get.lua`` beside this file (token header, random ids); the fallback runs one
keep-alive ``bench.client.Api`` per connection for the same duration.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from bench.client import Api
from bench.load import percentile

LUA_SCRIPT = Path(__file__).with_name("wrk_get.lua")


@dataclass(frozen=True)
class ReadResult:
    tool: str
    requests: int
    duration_s: float
    errors: int
    p50_ms: float
    p99_ms: float

    @property
    def rps(self) -> float:
        return (self.requests - self.errors) / self.duration_s if self.duration_s > 0 else 0.0


def tool_name() -> str:
    return "wrk" if shutil.which("wrk") else "python-threads"


def read_rate(endpoint: str, token: str, *, path: str, ids: list[str] | None = None, duration_s: float = 10,
              threads: int = 2, connections: int = 10) -> ReadResult:
    """GET ``path`` (``path + random id`` when ``ids`` is given) for ``duration_s`` seconds."""
    if shutil.which("wrk"):
        return _wrk(endpoint, token, path=path, ids=ids, duration_s=duration_s, threads=threads,
                    connections=connections)
    return _python(endpoint, token, path=path, ids=ids, duration_s=duration_s, connections=connections)


def _wrk(endpoint: str, token: str, *, path: str, ids: list[str] | None, duration_s: float, threads: int,
         connections: int) -> ReadResult:
    parts = urlsplit(endpoint)
    base = f"{parts.scheme}://{parts.netloc}"
    with tempfile.TemporaryDirectory(prefix="ember-bench-") as tmp:
        args = [token, parts.path.rstrip("/") + path]
        if ids:
            ids_file = Path(tmp) / "ids"
            ids_file.write_text("\n".join(ids) + "\n")
            args.append(str(ids_file))
        argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration_s:g}s", "--timeout", "10s",
                "-s", str(LUA_SCRIPT), base, "--", *args]
        run = subprocess.run(argv, check=False, capture_output=True, text=True, timeout=duration_s + 60)
    line = next((ln for ln in run.stdout.splitlines() if ln.startswith("BENCH ")), None)
    if run.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({run.returncode}): {run.stderr.strip() or run.stdout.strip()}")
    stats = json.loads(line.removeprefix("BENCH "))
    return ReadResult("wrk", stats["requests"], stats["duration_us"] / 1e6,
                      stats["status_errors"] + stats["socket_errors"], stats["p50_us"] / 1000,
                      stats["p99_us"] / 1000)


def _python(endpoint: str, token: str, *, path: str, ids: list[str] | None, duration_s: float,
            connections: int) -> ReadResult:
    latencies: list[list[float]] = [[] for _ in range(connections)]
    errors = [0] * connections
    stop_at = time.monotonic() + duration_s

    def loop(slot: int) -> None:
        api = Api(endpoint, token=token, timeout_s=10)
        pick = random.Random(slot)
        try:
            while time.monotonic() < stop_at:
                target = path + pick.choice(ids) if ids else path
                started = time.perf_counter()
                try:
                    status, _ = api.request("GET", target)
                except OSError:
                    status = 0
                latencies[slot].append((time.perf_counter() - started) * 1000)
                if status != 200:
                    errors[slot] += 1
        finally:
            api.close()

    started = time.perf_counter()
    workers = [threading.Thread(target=loop, args=(i,), daemon=True) for i in range(connections)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    flat = [ms for per_slot in latencies for ms in per_slot]
    return ReadResult("python-threads", len(flat), elapsed, sum(errors), percentile(flat, 50),
                      percentile(flat, 99))
