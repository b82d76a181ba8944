"""``make bench``: start each configuration, measure it, print it against Cinder 29.

  python -m bench.run [--config embedded-noop,embedded-file,split-noop] [--json-out FILE]
  python -m bench.run --endpoint http://127.0.0.1:8776/v3 [--pids-from 'deploy/local-cluster status']
  python -m bench.run --compare http://127.0.0.1:18776/v3 [--compare-pids-from CMD] [--rounds 2]

Measurements (bench/measure.py): 1 create→available latency, 2 create+delete throughput at
concurrency 10, 3 GET rates with 1000 volumes in the DB (wrk), 4 resident memory.
--compare (bench/compare.py): ember's SplitStack and another Cinder v3 endpoint take turns at the
same scenarios (create latency, create+delete, the attach cycle, memory); one table of ratios.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
import uuid
from typing import Any

from bench import attach, compare, drivers, list_scale, load, procs, reads, report, takeover
from bench.client import Api
from bench.measure import Measurement, Plan

CONFIGS: dict[str, tuple[str, str]] = {
    "embedded-noop": ("embedded", "noop"),
    "embedded-file": ("embedded", "file"),
    "split-noop": ("split", "noop"),
    "split-file": ("split", "file"),
}
DEFAULT_CONFIGS = "embedded-noop,embedded-file,split-noop"
BUSY_PERCENT = 20.0  # CPU used by others before a run, above which its figures are flagged


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default=DEFAULT_CONFIGS,
                        help=f"comma-separated, from {', '.join(CONFIGS)} (default: {DEFAULT_CONFIGS})")
    parser.add_argument("--endpoint", help="benchmark an ember already running there instead")
    parser.add_argument("--pids-from", metavar="CMD",
                        help="with --endpoint: a command printing 'name pid ...' rows, "
                             "e.g. 'deploy/local-cluster status' (for memory and CPU)")
    parser.add_argument("--keep", action="store_true",
                        help="with --endpoint: leave the benchmark's volumes in place afterwards")
    parser.add_argument("--json-out", metavar="FILE", help="also write the results as JSON there")
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs of the throughput and read measurements; the median is reported")
    parser.add_argument("--creates", type=int, default=100, help="sequential creates timed (default 100)")
    parser.add_argument("--cycles", type=int, default=200, help="create+delete cycles per run (default 200)")
    parser.add_argument("--volumes", type=int, default=1000, help="volumes in the DB for the reads")
    parser.add_argument("--duration", type=float, default=10, help="seconds of each read measurement")
    parser.add_argument("--poll-ms", type=float, default=5, help="GET polling of the latency step (5 ms)")
    parser.add_argument("--lists", default="1000,20000,100000", metavar="SIZES",
                        help="after the configurations, list pages on split-noop at these table sizes "
                             "(bench.list_scale); empty to skip (default %(default)s)")
    parser.add_argument("--takeover-trials", type=int, default=10, metavar="N",
                        help="after the configurations, N kill -9 and N SIGTERM takeovers of a backend's active "
                             "volume service, with the SQL and the etcd election (bench.takeover); 0 to skip")
    parser.add_argument("--driver-trials", type=int, default=5, metavar="N",
                        help="after the configurations, N trials of each lvm and nfs driver operation on real "
                             "storage (bench.drivers); 0 to skip")
    parser.add_argument("--attach-cycles", type=int, default=50, metavar="N",
                        help="after the configurations, N sequential attach cycles timed per step, then attach "
                             "cycles at concurrency 10, on lvm (tgtd) and no-op (bench.attach); 0 to skip")
    parser.add_argument("--cycle-poll-ms", default="5,50",
                        help="GET polling of the create+delete workers; the first is compared with "
                             "Cinder, the others are shown beside it (default 5,50)")
    parser.add_argument("--compare", metavar="URL",
                        help="instead of the configurations: ember (split, no-op driver, 2 volume services) and "
                             "the Cinder v3 endpoint at URL take turns at the same scenarios; one table of ratios")
    parser.add_argument("--compare-pids-from", metavar="CMD",
                        help="with --compare: a command printing the other service's 'name pid' rows "
                             "(for its CPU and memory)")
    parser.add_argument("--rounds", type=int, default=2,
                        help="with --compare: rounds of ember then the other; medians are reported (default 2)")
    parser.add_argument("--attach-duration", type=float, default=20, metavar="S",
                        help="with --compare: seconds of the attach cycles at concurrency 10 (default 20)")
    args = parser.parse_args(argv)
    if args.compare and args.endpoint:
        parser.error("--compare and --endpoint exclude each other")
    if args.compare_pids_from and not args.compare:
        parser.error("--compare-pids-from needs --compare")
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    if args.pids_from and not args.endpoint:
        parser.error("--pids-from needs --endpoint")
    unknown = [c for c in args.config.split(",") if c not in CONFIGS]
    if unknown and not args.endpoint:
        parser.error(f"unknown configuration {', '.join(unknown)}; choose from {', '.join(CONFIGS)}")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    try:
        args.cycle_poll = tuple(float(ms) for ms in args.cycle_poll_ms.split(","))
    except ValueError:
        parser.error("--cycle-poll-ms takes comma-separated milliseconds, e.g. 5,50")
    return args


def plan_of(args: argparse.Namespace) -> Plan:
    return Plan(creates=args.creates, cycles=args.cycles, volumes=args.volumes, duration_s=args.duration,
                poll_ms=args.poll_ms, cycle_poll_ms=args.cycle_poll, repeat=args.repeat)


def _stack(kind: str, driver: str) -> Any:
    from bench.stack import EmbeddedStack, SplitStack

    return EmbeddedStack(driver=driver) if kind == "embedded" else SplitStack(driver=driver)


def run_config(config: str, args: argparse.Namespace) -> dict[str, Any]:
    kind, driver = CONFIGS[config]
    print(f"[{config}] starting {kind} ember with the {driver} driver", file=sys.stderr, flush=True)
    busy = procs.machine_busy_percent()
    started = time.perf_counter()
    stack = _stack(kind, driver)
    failed: dict[str, Any] = {"config": config, "stack": kind, "driver": driver, "machine_busy_percent": busy}
    try:
        stack.start()
    except Exception as exc:  # noqa: BLE001 - a stack that fails is reported; the next one still runs
        stack.close()
        return {**failed, "errors": [f"did not start: {exc}"]}
    startup_s = time.perf_counter() - started
    measurement = Measurement(config, stack.endpoint, "bench:bench", plan_of(args), pids=stack.pids)
    try:
        return {**measurement.run(), **failed, "startup_s": startup_s}
    except Exception as exc:  # noqa: BLE001 - as above: report it, go on with the next configuration
        return {**failed, **measurement.result, "errors": [f"{type(exc).__name__}: {exc}"]}
    finally:
        stack.close()


def run_endpoint(args: argparse.Namespace) -> dict[str, Any]:
    project = f"bench-{uuid.uuid4().hex[:8]}"
    token = f"bench:{project}"
    _lift_quota(args.endpoint, project)
    pids = (lambda: procs.pids_from_command(args.pids_from)) if args.pids_from else None
    measurement = Measurement("external", args.endpoint, token, plan_of(args), pids=pids)
    busy = procs.machine_busy_percent()
    try:
        result = measurement.run()
    except Exception as exc:  # noqa: BLE001 - reported, and the volumes made so far are still deleted
        result = {**measurement.result, "config": "external", "endpoint": args.endpoint}
        result.setdefault("errors", []).append(f"{type(exc).__name__}: {exc}")
    if not args.keep and measurement.live_ids:
        print(f"[external] deleting the {len(measurement.live_ids)} benchmark volumes", file=sys.stderr)
        refused = load.delete_all(args.endpoint, token, measurement.live_ids)
        if refused:
            result["errors"].append(f"{refused} benchmark volumes could not be deleted (project {token})")
    return {**result, "token": token, "machine_busy_percent": busy}


def _lift_quota(endpoint: str, project: str) -> None:
    """A running deployment has its own quota defaults: give the bench's project room (as admin)."""
    admin = Api(endpoint, token="admin:admin")
    try:
        status, body = admin.request("PUT", f"/os-quota-sets/{project}", {"quota_set": {
            "volumes": -1, "gigabytes": -1, "snapshots": -1}})
    finally:
        admin.close()
    if status != 200:
        raise SystemExit(f"could not lift the quota of {project} (HTTP {status}: {body}); the bench needs an "
                         "admin token (noauth with noauth_admin_projects empty or naming 'admin')")


def print_result(result: dict[str, Any]) -> None:
    where = f"{result['stack']}, {result['driver']} driver" if "stack" in result else result.get("endpoint", "")
    print(f"\n=== {result['config']} ({where}) ===")
    if "create_latency" in result:
        print(report.comparison_table(result))
    print(report.details(result), flush=True)
    busy = result.get("machine_busy_percent")
    if busy is not None and busy > BUSY_PERCENT:
        print(f"  NOTE: other processes kept the {os.cpu_count()} cores {busy:.0f}% busy just before this run; "
              "if they went on, these figures are low")


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    started = time.perf_counter()
    results: list[dict[str, Any]] = []
    if args.compare:
        results.append(compare.run(args))
        total_s = time.perf_counter() - started
        print(f"\n(total {total_s:.0f} s on {os.cpu_count()} cores)")
        if args.json_out:
            _write_json(args.json_out, results, total_s)
        return 1 if results[-1]["errors"] else 0
    if args.endpoint:
        results.append(run_endpoint(args))
        print_result(results[-1])
    else:
        for config in args.config.split(","):
            results.append(run_config(config, args))
            print_result(results[-1])
    print("\n=== summary (Cinder 29: no-op driver, MariaDB + RabbitMQ, 5 processes; "
          "compare it with split-noop) ===")
    print(report.summary_table(results))
    if args.lists and not args.endpoint:
        lists = list_scale.run(sizes=[int(n) for n in args.lists.split(",")], requests=200,
                               duration_s=args.duration)
        print("\n=== list pages by table size (split-noop, one project) ===")
        print(list_scale.table(lists))
        results.append({"config": "list-scale", "list_scale": lists})
    if args.driver_trials and not args.endpoint:
        latencies = drivers.run(["lvm", "nfs"], args.driver_trials)
        print("\n=== driver operations on real storage (lvm: loop VG + tgtd; nfs: nfs-ganesha) ===")
        print(drivers.table(latencies))
        results.append({"config": "drivers", "drivers": latencies})
    if args.attach_cycles and not args.endpoint:
        attaches = attach.run(["lvm", "noop"], cycles=args.attach_cycles, duration_s=args.duration * 2)
        print("\n=== the attach flow (split, two volume services; lvm: loop VG + tgtd) ===")
        print(attach.table(attaches))
        results.append({"config": "attach", "attach": attaches})
    if args.takeover_trials and not args.endpoint:
        takeovers = takeover.run(elections=["sql", "etcd"], count=args.takeover_trials)
        print("\n=== takeover of a backend's active volume service (split-noop, default lease) ===")
        print(takeover.table(takeovers))
        results.append({"config": "takeover", "takeover": takeovers})
    total_s = time.perf_counter() - started
    print(f"\n(total {total_s:.0f} s on {os.cpu_count()} cores; reads measured with {reads.tool_name()})")
    if args.json_out:
        _write_json(args.json_out, results, total_s)
    return 1 if any(r.get("errors") for r in results) else 0


def _write_json(path: str, results: list[dict[str, Any]], total_s: float) -> None:
    for result in results:
        if "create_latency" in result:
            result["comparison"] = report.comparison_rows(result)
    doc = {"machine": {"cores": os.cpu_count(), "python": platform.python_version(), "host": platform.node()},
           "total_s": total_s, "cinder_29": {b.key: [b.cinder_low, b.cinder_high] for b in report.CINDER},
           "results": results}
    with open(path, "w") as out:
        json.dump(_without_nan(doc), out, indent=2)
        out.write("\n")


def _without_nan(value: Any) -> Any:
    """NaN (a step that did not run) becomes null, so the file is strict JSON."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _without_nan(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_without_nan(v) for v in value]
    return value


if __name__ == "__main__":
    raise SystemExit(main())
