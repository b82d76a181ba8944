"""List pages at growing table sizes: does a page cost the same with 1k, 20k and 100k volumes?

On a split ember (MariaDB + RabbitMQ, no-op driver) the volumes of one project are written
straight into its database (creating 100k through the API would take the whole budget); then,
for each size, ``GET /volumes/detail?limit=100`` plain and filtered and sorted: one client's
p50/p99 over sequential requests, and the rate of 10 clients (wrk).

  python -m bench.list_scale [--sizes 1000,20000,100000] [--requests 200] [--duration 10]
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from bench import reads
from bench.client import Api
from bench.load import percentile

PROJECT = "bench"
TOKEN = f"bench:{PROJECT}"
PATHS = (("detail", "/volumes/detail?limit=100"),
         ("filtered", "/volumes/detail?limit=100&status=available&sort=created_at:desc"))
_BATCH = 5000


def seed(db_url: str, *, total: int) -> None:
    """Bring the project's live volumes up to ``total`` rows, written directly (90% available)."""
    engine = sa.create_engine(db_url, hide_parameters=True)
    volumes = sa.Table("volumes", sa.MetaData(), autoload_with=engine)
    with engine.begin() as conn:
        have = int(conn.execute(sa.select(sa.func.count()).select_from(volumes)
                                .where(volumes.c.project_id == PROJECT)).scalar_one())
        start = datetime(2026, 1, 1)
        for first in range(have, total, _BATCH):
            conn.execute(sa.insert(volumes), [_row(i, start) for i in range(first, min(first + _BATCH, total))])
    engine.dispose()


def _row(i: int, start: datetime) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "project_id": PROJECT, "user_id": "bench", "name": f"seed-{i}",
            "description": None, "size_gb": 1, "status": "error" if i % 10 == 9 else "available", "version": 1,
            "attach_status": "detached", "availability_zone": "nova", "host": "bench@noop-1#noop",
            "bootable": False, "multiattach": False, "metadata": {}, "created_at": start + timedelta(seconds=i),
            "deleted": False}


def one_client(endpoint: str, path: str, *, requests: int) -> dict[str, float]:
    api = Api(endpoint, token=TOKEN)
    samples: list[float] = []
    try:
        api.request("GET", path)
        for _ in range(requests):
            started = time.perf_counter()
            status, _ = api.request("GET", path)
            samples.append((time.perf_counter() - started) * 1000)
            if status != 200:
                raise RuntimeError(f"GET {path} answered {status}")
    finally:
        api.close()
    return {"p50_ms": percentile(samples, 50), "p99_ms": percentile(samples, 99)}


def measure(endpoint: str, db_url: str, *, sizes: list[int], requests: int, duration_s: float) -> list[dict[str, Any]]:
    rows = []
    for size in sorted(sizes):
        print(f"[lists] {size} volumes: seeding", file=sys.stderr, flush=True)
        seed(db_url, total=size)
        row: dict[str, Any] = {"volumes": size}
        for key, path in PATHS:
            print(f"[lists] {size} volumes: GET {path}", file=sys.stderr, flush=True)
            row[key] = one_client(endpoint, path, requests=requests)
            rate = reads.read_rate(endpoint, TOKEN, path=path, duration_s=duration_s)
            row[key].update(rps_10_clients=rate.rps, errors=rate.errors)
        rows.append(row)
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    lines = ["| volumes | detail?limit=100 p50 / p99 | req/s @10 | + status filter & sort p50 / p99 | req/s @10 |",
             "|---:|---:|---:|---:|---:|"]
    for row in rows:
        d, f = row["detail"], row["filtered"]
        lines.append(f"| {row['volumes']} | {d['p50_ms']:.1f} / {d['p99_ms']:.1f} ms | {d['rps_10_clients']:.0f} | "
                     f"{f['p50_ms']:.1f} / {f['p99_ms']:.1f} ms | {f['rps_10_clients']:.0f} |")
    return "\n".join(lines)


def run(*, sizes: list[int], requests: int, duration_s: float) -> list[dict[str, Any]]:
    from bench.stack import SplitStack

    stack = SplitStack(driver="noop", schedulers=1).start()
    try:
        return measure(stack.endpoint, stack.db_url, sizes=sizes, requests=requests, duration_s=duration_s)
    finally:
        stack.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.list_scale", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,20000,100000")
    parser.add_argument("--requests", type=int, default=200, help="sequential requests per one-client figure")
    parser.add_argument("--duration", type=float, default=10, help="seconds of each 10-client rate")
    args = parser.parse_args(argv)
    rows = run(sizes=[int(s) for s in args.sizes.split(",")], requests=args.requests, duration_s=args.duration)
    print(table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
