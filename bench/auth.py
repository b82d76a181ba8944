"""The cost of Keystone auth: the same reads and creates against ember-all under noauth and under
``auth_strategy = keystone``, in one run.

  python -m bench.auth [--volumes 100] [--duration 10] [--creates 1000] [--json-out FILE]

Two embedded ember-alls (SQLite, fake://, no-op driver) run one after the other: one with noauth
(token ``bench:bench``), one validating the tokens of a real Keystone 30 (uWSGI, its own database on the
machine's MariaDB, venv cached in ~/.cache/ember) through keystonemiddleware, whose validated tokens are
kept in ember's in-process cache, so only each token's first request asks Keystone. The keystone side
logs in once as demo's member, as a client does. Each side gets ``--volumes`` volumes, then:

1. ``GET /volumes/detail?limit=100``: ``--duration`` seconds with 10 connections (wrk, or Python threads
   without it): requests per second, p50, p99;
2. ``POST /volumes {"size": 1}``: 10 keep-alive threads until ``--creates`` are answered or ``--duration``
   passes: requests per second, p50, p99 of the 202.

Every loop is bounded by a count and a deadline, and all traffic goes to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import secrets
import shutil
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from bench import reads
from bench.client import Api, BenchError
from bench.load import _Tickets, percentile, populate
from bench.stack import MARIADB_URL, EmbeddedStack, free_port

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "deploy"))

from localcluster import identity
from localcluster.keystone import Keystone, authtoken_section
from localcluster.sqladmin import MariaDBAdmin, OwnDatabase

NOAUTH_TOKEN = "bench:bench"
PERSONA = "demo-member"
WORKERS = 10
DETAIL = "/volumes/detail?limit=100"


@dataclass(frozen=True)
class Rate:
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float
    tool: str

    @property
    def per_s(self) -> float:
        return (self.requests - self.errors) / self.seconds if self.seconds > 0 else 0.0


def create_rate(endpoint: str, token: str, *, count: int, duration_s: float, workers: int = WORKERS) -> Rate:
    """``workers`` keep-alive threads POST volumes until ``count`` are answered or ``duration_s`` passes."""
    tickets = _Tickets(count, time.monotonic() + duration_s)
    latencies: list[float] = []
    errors: list[str] = []

    def work() -> None:
        api = Api(endpoint, token=token)
        try:
            while tickets.take():
                started = time.perf_counter()
                try:
                    api.create_volume()
                except (BenchError, OSError) as exc:
                    errors.append(str(exc))
                latencies.append((time.perf_counter() - started) * 1000)
        finally:
            api.close()

    threads = [threading.Thread(target=work, daemon=True) for _ in range(workers)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Rate(len(latencies), len(errors), time.perf_counter() - started, percentile(latencies, 50),
                percentile(latencies, 99), "python-threads")


def measure(name: str, endpoint: str, token: str, args: argparse.Namespace) -> dict[str, Rate]:
    def say(message: str) -> None:
        print(f"[{name}] {message}", file=sys.stderr, flush=True)

    say(f"filling: {args.volumes} volumes")
    _, errors = populate(endpoint, token, count=args.volumes)
    if errors:
        raise BenchError(f"{name}: filling failed: {errors[:3]}")
    say(f"GET {DETAIL} for {args.duration:g} s")
    read = reads.read_rate(endpoint, token, path=DETAIL, duration_s=args.duration)
    detail = Rate(read.requests, read.errors, read.duration_s, read.p50_ms, read.p99_ms, read.tool)
    say(f"POST /volumes: up to {args.creates} creates in {args.duration:g} s")
    create = create_rate(endpoint, token, count=args.creates, duration_s=args.duration)
    return {"detail": detail, "create": create}


@contextmanager
def keystone_server(ember_url: str) -> Iterator[Keystone]:
    admin = MariaDBAdmin.for_server(MARIADB_URL)
    name = f"keystone_bench_{uuid.uuid4().hex[:8]}"
    state = Path(tempfile.mkdtemp(prefix="ember-bench-keystone-"))
    server = Keystone(state, port=free_port(), database=OwnDatabase(name=name, user=name,
                                                                    password=secrets.token_hex(12)))
    try:
        server.deploy(admin, ember_url)
        yield server
    finally:
        server.destroy(admin)
        shutil.rmtree(state, ignore_errors=True)


def run(args: argparse.Namespace) -> dict[str, dict[str, Rate]]:
    results: dict[str, dict[str, Rate]] = {}
    noauth = EmbeddedStack(driver="noop", quota_volumes=-1).start()
    try:
        results["noauth"] = measure("noauth", noauth.endpoint, NOAUTH_TOKEN, args)
    finally:
        noauth.close()
    port = free_port()
    with keystone_server(f"http://127.0.0.1:{port}") as keystone:
        token = keystone_token(keystone, "admin")
        stack = EmbeddedStack(driver="noop", quota_volumes=-1, port=port, extra_conf="auth_strategy = keystone\n",
                              extra_sections=authtoken_section(keystone.authtoken_options()), admin_token=token)
        stack.start()
        try:
            results["keystone"] = measure("keystone", stack.endpoint, keystone_token(keystone, PERSONA), args)
        finally:
            stack.close()
    return results


def keystone_token(keystone: Keystone, persona: str) -> str:
    """A password login's token, as a client gets it once and reuses it."""
    creds = keystone.credentials(persona)
    token, _ = identity.issue_token(creds.auth_url, creds.username, creds.password, creds.project_name)
    return token


def report(results: dict[str, dict[str, Rate]]) -> str:
    head = f"{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}"
    lines = ["auth cost: ember-all (SQLite, fake://, no-op driver), 10 connections",
             f"{'':30}{'noauth':<26}  {'keystone (cached tokens)':<26}  {'req/s':>7}",
             f"{'':30}{head}  {head}  {'cost':>7}"]
    for key, label in (("detail", f"GET {DETAIL}"), ("create", "POST /volumes")):
        a, k = results["noauth"][key], results["keystone"][key]
        cost = (k.per_s - a.per_s) / a.per_s * 100 if a.per_s else 0.0
        lines.append(f"{label:30}{a.per_s:>8.1f}{a.p50_ms:>9.1f}{a.p99_ms:>9.1f}  "
                     f"{k.per_s:>8.1f}{k.p50_ms:>9.1f}{k.p99_ms:>9.1f}  {cost:>+6.1f}%")
    return "\n".join(lines)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench.auth", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--volumes", type=int, default=100, help="volumes in the project before the reads")
    parser.add_argument("--duration", type=float, default=10, help="seconds of each measurement (default 10)")
    parser.add_argument("--creates", type=int, default=1000, help="at most this many creates (default 1000)")
    parser.add_argument("--json-out", metavar="FILE", help="also write the figures as JSON there")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    results = run(args)
    print(report(results))
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(
            {side: {key: {**asdict(rate), "per_s": rate.per_s} for key, rate in figures.items()}
             for side, figures in results.items()}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
