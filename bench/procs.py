"""A service's processes as the benchmark sees them: where the pids come from, memory, CPU time.

Each named process is counted with its children (a listed pid that is a descendant of another
listed pid counts once, under its ancestor), and CPU time includes what the children that ended
used. ``pids_from_command`` reads ``deploy/local-cluster status`` (text or ``--json``) and keeps
the ember rows, or every row for another service (``names=None``).
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from dataclasses import dataclass

import psutil

MIB = 1024 * 1024
EMBER_NAME = re.compile(r"^(ember-all|api|scheduler|volume|backup)(-.*)?$")


@dataclass(frozen=True)
class ProcessMemory:
    name: str
    pid: int
    processes: int
    rss_mib: float
    pss_mib: float | None


def _tree(pid: int) -> list[psutil.Process]:
    root = psutil.Process(pid)
    return [root, *root.children(recursive=True)]


def _trees(pids: dict[str, int]) -> dict[str, list[psutil.Process]]:
    """Each name's process tree, leaving out the names whose pid is inside another name's tree."""
    trees: dict[str, list[psutil.Process]] = {}
    for name, pid in pids.items():
        try:
            trees[name] = _tree(pid)
        except psutil.Error:
            continue
    descendants = {proc.pid for tree in trees.values() for proc in tree[1:]}
    return {name: tree for name, tree in trees.items() if pids[name] not in descendants}


def memory(pids: dict[str, int]) -> list[ProcessMemory]:
    """RSS (and PSS where readable) of each named process, summed over its process tree."""
    figures = []
    for name, tree in sorted(_trees(pids).items()):
        rss = 0
        pss: int | None = 0
        for proc in tree:
            try:
                rss += proc.memory_info().rss
                if pss is not None:
                    pss += getattr(proc.memory_full_info(), "pss", 0)
            except psutil.AccessDenied:
                pss = None
            except psutil.NoSuchProcess:
                continue
        figures.append(ProcessMemory(name, pids[name], len(tree), rss / MIB, pss / MIB if pss is not None else None))
    return figures


def cpu_seconds(pids: dict[str, int]) -> dict[str, float]:
    """User + system CPU seconds each named process tree has used so far, its ended children included."""
    used: dict[str, float] = {}
    for name, tree in _trees(pids).items():
        total = 0.0
        for proc in tree:
            try:
                times = proc.cpu_times()
                total += times.user + times.system + times.children_user + times.children_system
            except psutil.Error:
                continue
        used[name] = total
    return used


def machine_busy_percent(interval_s: float = 2) -> float:
    """How busy all cores are over ``interval_s``; taken while the benchmark is idle, it is other work."""
    return float(psutil.cpu_percent(interval=interval_s))


def pids_from_command(command: str, names: re.Pattern[str] | None = EMBER_NAME) -> dict[str, int]:
    """Run ``command`` and read ``name pid ...`` rows (or a JSON list of {name, pid}) from its output.

    Only rows whose name matches ``names`` count (every row when it is None); a name met again
    becomes ``name#2``, ``name#3``..., so several workers of one service all count.
    """
    run = subprocess.run(shlex.split(command), check=False, capture_output=True, text=True, timeout=60)
    text = run.stdout.strip()
    rows: list[tuple[str, object]]
    if text.startswith("["):
        rows = [(str(row.get("name")), row.get("pid")) for row in json.loads(text)]
    else:
        rows = [(cols[0], cols[1]) for cols in (line.split() for line in text.splitlines()) if len(cols) >= 2]
    found: dict[str, int] = {}
    for name, pid in rows:
        if (names is None or names.match(name)) and str(pid).isdigit():
            key, seen = name, 1
            while key in found:
                seen += 1
                key = f"{name}#{seen}"
            found[key] = int(str(pid))
    if not found:
        raise RuntimeError(f"no pids in the output of {command!r} (exit {run.returncode}):\n{text[:2000]}")
    return found
