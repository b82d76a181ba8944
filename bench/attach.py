"""The attach flow as Nova drives it: per-step latency and attach cycles per second at concurrency 10.

One cycle is POST /attachments (reserve, no connector), PUT /attachments/{id} with the
host's connector (the volume service exports the volume and returns connection_info),
POST .../action os-complete, DELETE /attachments/{id} (connection and export end). Each
worker cycles on a volume of its own. Run on a SplitStack (MariaDB, RabbitMQ, two volume
services) with the lvm driver on a loop VG and a tgtd (real targets and CHAP accounts), and
with the no-op driver (the control plane alone). Also timed: POST /attachments with the
connector (reserve and connect in one request, as a client that knows its host does), and the
CPU the services spend per cycle at concurrency 10. ``bench.compare`` runs the same functions
against another endpoint.

  python -m bench.attach [--drivers lvm,noop] [--cycles 50] [--workers 10] [--duration 20]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "deploy"))

from localcluster.storage import LoopVolumeGroup, TgtDaemon

from bench import procs
from bench.client import Api, BenchError
from bench.load import percentile
from bench.stack import SplitStack

TOKEN = "bench:bench"
VERSION = "3.71"
TGT_PORT, TGT_CONTROL = 3285, 25
STEPS = ("reserve", "update (connect)", "complete", "delete (disconnect)")
CONNECTOR = {"initiator": "iqn.2026-12.org.ember:bench-host", "ip": "127.0.0.1", "host": "bench-host",
             "platform": "x86_64", "os_type": "linux", "multipath": False}
# Cinder 29 on a 2-core machine like this one (the figures)
CINDER_CYCLES_PER_S = (5.8, 9.3)
CINDER_CYCLE_P50_S = (1.2, 1.4)


@contextmanager
def stack_for(driver: str, work: Path) -> Iterator[SplitStack]:
    if driver == "noop":
        stack = SplitStack(driver="noop", volume_services=2).start()
        try:
            yield stack
        finally:
            stack.close()
        return
    tgtd = TgtDaemon(work, "tgtd", port=TGT_PORT, control=TGT_CONTROL)
    group = LoopVolumeGroup(work / "pv.img", f"ember-bench-{uuid.uuid4().hex[:6]}", 16)
    tgtd.start()
    device = group.create()
    section = (f"volume_driver = lvm\nvolume_group = {group.vg}\nlvm_devices = {device}\nlvm_activation = loop\n"
               f"target_port = {TGT_PORT}\ntgt_control_port = {TGT_CONTROL}\n")
    stack = SplitStack(backend_sections={"lvm-1": section}, volume_services=2)
    try:
        yield stack.start()
    finally:
        stack.close()
        group.destroy()
        tgtd.stop()


def _expect(status: int, body: Any, wanted: int, step: str) -> Any:
    if status != wanted:
        raise BenchError(f"{step}: HTTP {status}: {body}")
    return body


def cycle(api: Api, volume_id: str) -> list[float]:
    """One attach cycle on ``volume_id``: the seconds of each step."""
    times = []
    began = time.perf_counter()
    body = _expect(*api.request("POST", "/attachments", {"attachment": {"volume_uuid": volume_id,
                                                                         "instance_uuid": str(uuid.uuid4())}}),
                   200, "reserve")
    attachment_id = body["attachment"]["id"]
    times.append(time.perf_counter() - began)
    for method, path, request, wanted, step in (
            ("PUT", f"/attachments/{attachment_id}", {"attachment": {"connector": CONNECTOR}}, 200, STEPS[1]),
            ("POST", f"/attachments/{attachment_id}/action", {"os-complete": {}}, 204, STEPS[2]),
            ("DELETE", f"/attachments/{attachment_id}", None, 200, STEPS[3])):
        began = time.perf_counter()
        _expect(*api.request(method, path, request), wanted, step)
        times.append(time.perf_counter() - began)
    return times


def connect_in_one(api: Api, volume_id: str) -> float:
    """POST /attachments with the connector (reserve and connect in one request): its seconds.

    The attachment's DELETE follows, untimed.
    """
    began = time.perf_counter()
    body = _expect(*api.request("POST", "/attachments", {"attachment": {
        "volume_uuid": volume_id, "instance_uuid": str(uuid.uuid4()), "connector": CONNECTOR}}),
        200, "reserve+connect")
    elapsed = time.perf_counter() - began
    _expect(*api.request("DELETE", f"/attachments/{body['attachment']['id']}"), 200, "delete (disconnect)")
    return elapsed


def make_volumes(api: Api, count: int, made: list[str]) -> list[str]:
    """``count`` volumes of 1 GB, awaited available; each id is also appended to ``made`` once created."""
    ids = []
    for _ in range(count):
        ids.append(_expect(*api.request("POST", "/volumes", {"volume": {"size": 1}}), 202, "create")["volume"]["id"])
        made.append(ids[-1])
    deadline = time.monotonic() + 120
    for volume_id in ids:
        while _expect(*api.request("GET", f"/volumes/{volume_id}"), 200, "show")["volume"]["status"] != "available":
            if time.monotonic() > deadline:
                raise BenchError(f"volume {volume_id} did not become available")
            time.sleep(0.05)
    return ids


def sequential(api: Api, volume_id: str, cycles: int) -> dict[str, Any]:
    """``cycles`` attach cycles one after the other on one volume: p50 and p99 of each step and of the whole."""
    cycle(api, volume_id)  # warm-up: connections, first export
    steps = [cycle(api, volume_id) for _ in range(cycles)]
    totals = [sum(s) for s in steps]
    return {"steps": {name: {"p50_ms": statistics.median(s[i] for s in steps) * 1000,
                             "p99_ms": percentile([s[i] for s in steps], 99) * 1000}
                      for i, name in enumerate(STEPS)},
            "cycle_p50_ms": statistics.median(totals) * 1000, "cycle_p99_ms": percentile(totals, 99) * 1000}


def concurrent(endpoint: str, token: str, volumes: list[str], *, duration_s: float, version: str = VERSION,
               cpu: Callable[[], float | None] = lambda: None) -> dict[str, Any]:
    """One worker per volume cycling for ``duration_s``: cycles/s, cycle p50/p99, service CPU per cycle."""
    done: list[float] = []
    errors: list[str] = []
    stop_at = time.monotonic() + duration_s

    def worker(volume_id: str) -> None:
        client = Api(endpoint, token=token, timeout_s=60, version=version)
        try:
            while time.monotonic() < stop_at:
                done.append(sum(cycle(client, volume_id)))
        except (BenchError, OSError) as error:
            errors.append(str(error))
        finally:
            client.close()

    cpu_before = cpu()
    began = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(v,)) for v in volumes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    cpu_after = cpu()
    cpu_ms = ((cpu_after - cpu_before) * 1000 / len(done)
              if cpu_before is not None and cpu_after is not None and done else float("nan"))
    return {"cycles_per_s": len(done) / elapsed, "cycles": len(done), "workers": len(volumes),
            "concurrent_cycle_p50_ms": statistics.median(done) * 1000 if done else float("nan"),
            "concurrent_cycle_p99_ms": percentile(done, 99) * 1000, "cpu_ms_per_cycle": cpu_ms, "errors": errors}


def measure(endpoint: str, *, cycles: int, workers: int, duration_s: float, token: str = TOKEN,
            version: str = VERSION, cpu: Callable[[], float | None] = lambda: None, connects: int = 0,
            made: list[str] | None = None) -> dict[str, Any]:
    """The sequential per-step cycles, ``connects`` reserve+connect requests, then the concurrent run.

    The ``workers`` volumes it makes stay; their ids go to ``made`` as they are created.
    """
    api = Api(endpoint, token=token, timeout_s=60, version=version)
    try:
        volumes = make_volumes(api, workers, made if made is not None else [])
        result = sequential(api, volumes[0], cycles)
        if connects:
            connect_in_one(api, volumes[0])  # warm-up
            result["connect_p50_ms"] = statistics.median(connect_in_one(api, volumes[0])
                                                         for _ in range(connects)) * 1000
    finally:
        api.close()
    result.update(concurrent(endpoint, token, volumes, duration_s=duration_s, version=version, cpu=cpu))
    return result


def run(drivers: list[str], *, cycles: int = 50, workers: int = 10, duration_s: float = 20) -> dict[str, Any]:
    results = {}
    for driver in drivers:
        with tempfile.TemporaryDirectory(prefix=f"ember-bench-attach-{driver}-") as work, \
                stack_for(driver, Path(work)) as stack:
            results[driver] = measure(stack.endpoint, cycles=cycles, workers=workers, duration_s=duration_s,
                                      connects=cycles, cpu=lambda: sum(procs.cpu_seconds(stack.pids()).values()))
    return results


def table(results: dict[str, Any]) -> str:
    names = list(results)
    lines = [f"{'step (sequential)':<28}" + "".join(f"{n + ' p50 / p99':>24}" for n in names)]
    for step in STEPS:
        lines.append(f"{step:<28}" + "".join(
            f"{results[n]['steps'][step]['p50_ms']:>13.0f} / {results[n]['steps'][step]['p99_ms']:>5.0f} ms"
            for n in names))
    lines.append(f"{'whole cycle':<28}" + "".join(
        f"{results[n]['cycle_p50_ms']:>13.0f} / {results[n]['cycle_p99_ms']:>5.0f} ms" for n in names))
    lines.append(f"{'cycles/s at concurrency 10':<28}" + "".join(
        f"{results[n]['cycles_per_s']:>24.1f}" for n in names))
    for label, key in (("cycle p50 at concurrency 10", "concurrent_cycle_p50_ms"),
                       ("cycle p99 at concurrency 10", "concurrent_cycle_p99_ms"),
                       ("service CPU per cycle @10", "cpu_ms_per_cycle"), ("POST with connector p50", "connect_p50_ms")):
        lines.append(f"{label:<28}" + "".join(f"{results[n].get(key, float('nan')):>21.0f} ms" for n in names))
    lines.append(f"Cinder 29: {CINDER_CYCLES_PER_S[0]}-{CINDER_CYCLES_PER_S[1]} cycles/s, cycle p50 "
                 f"{CINDER_CYCLE_P50_S[0]}-{CINDER_CYCLE_P50_S[1]} s")
    for name in names:
        for error in results[name]["errors"][:3]:
            lines.append(f"  {name} error: {error}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--drivers", default="lvm,noop")
    parser.add_argument("--cycles", type=int, default=50, help="sequential cycles timed per step")
    parser.add_argument("--workers", type=int, default=10)
    parser.add_argument("--duration", type=float, default=20, help="seconds of the concurrent run")
    args = parser.parse_args(argv)
    results = run(args.drivers.split(","), cycles=args.cycles, workers=args.workers, duration_s=args.duration)
    print(table(results))
    return 1 if any(r["errors"] for r in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
