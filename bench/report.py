"""Cinder 29's figures, ember's goals against them, and the tables ``bench.run`` prints.

Cinder 29 was measured on a 2-core machine like this one with a no-op driver on MariaDB +
RabbitMQ and its five processes; ember's goal is 10× on each speed figure at a third of the memory.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Baseline:
    key: str
    label: str
    unit: str
    cinder_low: float
    cinder_high: float
    higher_is_better: bool
    factor: float

    @property
    def goal(self) -> tuple[float, float]:
        """The goal's (easier, full) bounds: 10× each end of Cinder's range, or a third of its memory."""
        if self.higher_is_better:
            return self.cinder_low * self.factor, self.cinder_high * self.factor
        return self.cinder_high / self.factor, self.cinder_low / self.factor

    def ratio(self, value: float) -> tuple[float, float]:
        """How many times better than Cinder, against each end of its range."""
        if value <= 0 or math.isnan(value):
            return math.nan, math.nan
        if self.higher_is_better:
            return value / self.cinder_high, value / self.cinder_low
        return self.cinder_low / value, self.cinder_high / value

    def verdict(self, value: float) -> str:
        if math.isnan(value):
            return "n/a"
        easier, full = self.goal
        better = (lambda bound: value >= bound) if self.higher_is_better else (lambda bound: value <= bound)
        if better(full):
            return "yes"
        return "partly" if better(easier) else "no"


CINDER = [
    Baseline("create_p50_ms", "create→available p50", "ms", 1300, 1300, higher_is_better=False, factor=10),
    Baseline("cycles_per_s", "create+delete @10", "cycles/s", 4.5, 4.5, higher_is_better=True, factor=10),
    Baseline("detail_rps", "GET detail?limit=100", "req/s", 30, 35, higher_is_better=True, factor=10),
    Baseline("show_rps", "GET volumes/{id}", "req/s", 105, 130, higher_is_better=True, factor=10),
    Baseline("rss_total_mib", "resident memory", "MiB", 860, 860, higher_is_better=False, factor=3),
]


def headline(result: dict[str, Any]) -> dict[str, float]:
    """The five compared figures of one configuration's result (NaN where a step did not run)."""
    def pick(*path: str) -> float:
        node: Any = result
        for key in path:
            if not isinstance(node, dict) or key not in node:
                return math.nan
            node = node[key]
        return float(node) if isinstance(node, (int, float)) else math.nan

    return {"create_p50_ms": pick("create_latency", "p50_ms"), "create_p99_ms": pick("create_latency", "p99_ms"),
            "cycles_per_s": pick("create_delete", "cycles_per_s"), "detail_rps": pick("reads", "detail", "rps"),
            "show_rps": pick("reads", "show", "rps"), "rss_total_mib": pick("memory", "total_rss_mib")}


def number(value: float, unit: str = "") -> str:
    if math.isnan(value):
        return "-"
    text = f"{value:.0f}" if abs(value) >= 100 else f"{value:.1f}" if abs(value) >= 10 else f"{value:.2f}"
    return f"{text} {unit}".rstrip()


def _span(bounds: list[float] | tuple[float, float], unit: str = "", suffix: str = "") -> str:
    low, high = min(bounds), max(bounds)
    if math.isnan(low):
        return "-"
    if abs(low - high) < 1e-9:
        return number(low, unit) + suffix
    return f"{number(low)}–{number(high, unit)}{suffix}"


def comparison_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    figures = headline(result)
    rows = []
    for base in CINDER:
        value = figures[base.key]
        low, high = base.ratio(value)
        easier, full = base.goal
        rows.append({"metric": base.key, "label": base.label, "unit": base.unit, "ember": value,
                     "cinder": [base.cinder_low, base.cinder_high], "ratio": [low, high],
                     "goal": [easier, full], "higher_is_better": base.higher_is_better,
                     "met": base.verdict(value)})
    return rows


def comparison_table(result: dict[str, Any]) -> str:
    lines = [f"{'metric':<24}{'ember':>14}{'Cinder 29':>16}{'ember better by':>18}{'goal':>18}  met",
             "-" * 96]
    for row in comparison_rows(result):
        sign = "≥ " if row["higher_is_better"] else "≤ "
        goal = sign + _span(row["goal"], unit=row["unit"])
        lines.append(f"{row['label']:<24}{number(row['ember'], row['unit']):>14}"
                     f"{_span(row['cinder'], unit=row['unit']):>16}{_span(row['ratio'], suffix='×'):>18}"
                     f"{goal:>18}  {row['met']}")
    p99 = headline(result)["create_p99_ms"]
    lines.append(f"{'create→available p99':<24}{number(p99, 'ms'):>14}{'-':>16}{'':>18}{'':>18}")
    return "\n".join(lines)


def details(result: dict[str, Any]) -> str:
    """The raw figures behind the comparison: sample counts, errors, tools, per-process memory."""
    out = []
    lat = result.get("create_latency")
    if lat:
        out.append(f"  create→available: {lat['samples']} sequential creates (poll {lat['poll_ms']:g} ms), "
                   f"p50 {number(lat['p50_ms'])} ms, p99 {number(lat['p99_ms'])} ms, "
                   f"min {number(lat['min_ms'])} ms, max {number(lat['max_ms'])} ms, errors {len(lat['errors'])}")
    cyc = result.get("create_delete")
    if cyc:
        for run in cyc["by_poll"]:
            rates = ", ".join(number(v) for v in run["runs_cycles_per_s"])
            out.append(f"  create+delete, polling every {run['poll_ms']:g} ms: {number(run['cycles_per_s'])} cycles/s "
                       f"(runs: {rates}; {cyc['target_cycles']} cycles × {cyc['workers']} threads"
                       f"{_cpu(run['cpu_ms_per_cycle'], 'cycle')}), errors {len(run['errors'])}")
    pop = result.get("populate")
    if pop:
        out.append(f"  filled to {pop['volumes_total']} volumes ({pop['created']} created in "
                   f"{pop['elapsed_s']:.1f} s, {number(pop['created_per_s'])} creates/s with {pop['workers']} threads)")
    reads = result.get("reads")
    if reads:
        for key in ("detail", "show"):
            r = reads.get(key)
            if r:
                runs = ", ".join(number(v) for v in r["runs_rps"])
                out.append(f"  {r['path']}: {number(r['rps'])} req/s with {reads['tool']} "
                           f"(runs: {runs}; p50 {number(r['p50_ms'])} ms, p99 {number(r['p99_ms'])} ms"
                           f"{_cpu(r['cpu_ms_per_request'], 'request')}), errors {r['errors']}")
    mem = result.get("memory")
    if mem:
        pss = mem.get("total_pss_mib")
        pss_text = f", PSS {pss:.0f} MiB" if pss is not None else ""
        out.append(f"  resident memory: total RSS {mem['total_rss_mib']:.0f} MiB{pss_text}; per process "
                   "(with its children):")
        out.append(memory_table(mem["processes"]))
    for err in result.get("errors", []):
        out.append(f"  ERROR: {err}")
    return "\n".join(out)


def memory_table(processes: list[dict[str, Any]]) -> str:
    """Name, pid, process count, RSS and PSS of each named process (summed with its children)."""
    lines = [f"  {'process':<24}{'pid':>8}{'procs':>7}{'RSS MiB':>10}{'PSS MiB':>10}"]
    for proc in processes:
        pss = "-" if proc["pss_mib"] is None else f"{proc['pss_mib']:.0f}"
        lines.append(f"  {proc['name']:<24}{proc['pid']:>8}{proc['processes']:>7}{proc['rss_mib']:>10.0f}{pss:>10}")
    return "\n".join(lines)


def _cpu(ms: float, per: str) -> str:
    return "" if math.isnan(ms) else f"; ember CPU {number(ms)} ms per {per}"


def summary_table(results: list[dict[str, Any]]) -> str:
    """One line per configuration, with Cinder's figures and the goals as the last two lines."""
    keys = ["create_p50_ms", "create_p99_ms", "cycles_per_s", "detail_rps", "show_rps", "rss_total_mib"]
    titles = ["p50 ms", "p99 ms", "cycles/s", "detail/s", "show/s", "RSS MiB"]
    lines = [f"{'configuration':<20}" + "".join(f"{t:>12}" for t in titles), "-" * 92]
    for result in results:
        figures = headline(result)
        lines.append(f"{result['config']:<20}" + "".join(f"{number(figures[k]):>12}" for k in keys))
    by_key = {b.key: b for b in CINDER}
    cinder = [_span((by_key[k].cinder_low, by_key[k].cinder_high)) if k in by_key else "-" for k in keys]
    goals = [(("≥" if by_key[k].higher_is_better else "≤") + _span(by_key[k].goal)) if k in by_key
             else "-" for k in keys]
    lines.append(f"{'Cinder 29':<20}" + "".join(f"{c:>12}" for c in cinder))
    lines.append(f"{'ember goal':<20}" + "".join(f"{g:>12}" for g in goals))
    return "\n".join(lines)
