"""bench.compare's arithmetic and bench.procs' counting: the figures the comparison table rests on."""

from __future__ import annotations

import math
import os
import subprocess
import sys

from bench import compare, procs


def _figure(key: str) -> compare.Figure:
    return next(f for f in compare.FIGURES if f.key == key)


def test_times_and_memory_are_better_when_smaller_rates_when_larger() -> None:
    p50 = _figure("create_p50_poll5")
    assert p50.better_by(ember=100, other=1300) == 13
    assert p50.met(ember=100, other=1300) == "yes"
    rate = _figure("cycles_per_s")
    assert rate.better_by(ember=45, other=4.5) == 10
    assert rate.met(ember=44, other=4.5) == "no"
    assert _figure("cpu_ms_per_cycle").met(ember=20, other=300) == "no"  # 15×, its goal is 20×
    assert _figure("rss_total_mib").met(ember=280, other=860) == "yes"


def test_a_missing_figure_has_no_ratio_and_no_verdict() -> None:
    rate = _figure("attach_cycles_per_s")
    assert math.isnan(rate.better_by(ember=math.nan, other=5))
    assert rate.met(ember=0, other=5) == "n/a"
    row = next(r for r in compare.rows({f.key: 1.0 for f in compare.FIGURES} | {"attach_cycles_per_s": math.nan},
                                       {f.key: 2.0 for f in compare.FIGURES}) if r["figure"] == "attach_cycles_per_s")
    line = next(ln for ln in compare.table([row], {"ember": [], "other": []}).splitlines() if "attach" in ln)
    assert line.split()[-1] == "n/a" and " - " in line


def test_medians_are_per_side_and_skip_steps_that_did_not_run() -> None:
    rounds = [{"side": "ember", "figures": {"cycles_per_s": 40.0}},
              {"side": "other", "figures": {"cycles_per_s": 4.0}},
              {"side": "ember", "figures": {"cycles_per_s": 50.0}},
              {"side": "other", "figures": {"cycles_per_s": math.nan}}]
    assert compare.medians(rounds, "ember")["cycles_per_s"] == 45
    assert compare.medians(rounds, "other")["cycles_per_s"] == 4
    assert math.isnan(compare.medians(rounds, "other")["attach_p50_ms"])


def test_another_services_pids_keep_every_row_and_repeated_names() -> None:
    command = f"{sys.executable} -c \"print('cinder-api 11\\ncinder-api 12\\ncinder-volume 13\\nheader x')\""
    assert procs.pids_from_command(command, names=None) == {"cinder-api": 11, "cinder-api#2": 12,
                                                            "cinder-volume": 13}


def test_a_listed_child_counts_once_under_its_parent() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        figures = procs.memory({"parent": os.getpid(), "worker": child.pid})
        assert [(f.name, f.processes >= 2) for f in figures] == [("parent", True)]
        assert list(procs.cpu_seconds({"parent": os.getpid(), "worker": child.pid})) == ["parent"]
    finally:
        child.kill()
        child.wait()
