"""Unit-tier fixtures: the whole control plane in this process on fake:// with SQLite."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from oslo_config import cfg

from common.service import ServiceRunner
from db import api as db


@pytest.fixture
def stack(sqlite_db: str, conf: cfg.ConfigOpts, overrides: Callable[..., None],
          tmp_path: Path) -> Iterator[list[ServiceRunner]]:
    """Scheduler + volume (file driver on tmp_path) + backup running in-process; stopped afterwards."""
    from launch.all_in_one import start_services

    overrides("state_path", str(tmp_path / "state"))
    overrides("enabled_backends", ["file-1"])
    overrides("host", "unit")
    overrides("file_share_path", str(tmp_path / "share"), group="file-1")
    overrides("file_capacity_gb", 100, group="file-1")
    runners = start_services(conf)
    wait_for(lambda: db.pool_list(), what="the file-1 pool to be reported")
    yield runners
    for runner in runners:
        runner.stop()


def wait_for(check: Callable[[], object], *, timeout_s: float = 10, what: str = "condition") -> object:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")
