"""HA-tier fixture: a whole deployment from deploy/local-cluster (Galera, RabbitMQ, HAProxy, ember)."""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

LAUNCHER = Path(__file__).resolve().parents[2] / "deploy" / "local-cluster"


@dataclass
class Cluster:
    state: Path
    env: dict[str, str]

    def run(self, *args: str, timeout_s: float = 300, check: bool = True) -> str:
        result = subprocess.run([str(LAUNCHER), *args, "--state", str(self.state)], capture_output=True,
                                text=True, timeout=timeout_s, check=False)
        if check and result.returncode != 0:
            raise AssertionError(f"local-cluster {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    @property
    def endpoint(self) -> str:
        return self.env["EMBER_ENDPOINT"]

    def galera_urls(self) -> list[str]:
        return [self.env[f"EMBER_DB_URL_{i}"] for i in (1, 2, 3)]


@pytest.fixture(scope="session")
def cluster() -> Iterator[Cluster]:
    # not under pytest's tmp folder: it is mode 700, and mariadbd runs as user mysql
    state = Path(os.environ.get("EMBER_HA_STATE") or tempfile.mkdtemp(prefix="ember-ha-", dir="/tmp"))
    state.chmod(0o755)
    cluster = Cluster(state=state, env={})
    try:
        cluster.run("up", "--volume-backends", "file-1", timeout_s=600)  # the tier's own backend
        exports = cluster.run("env")
        for line in exports.splitlines():
            if line.startswith("export "):
                key, _, value = line[len("export "):].partition("=")
                cluster.env[key] = shlex.split(value)[0] if value else ""
        yield cluster
    finally:
        keep = ["--wipe"] if "EMBER_HA_STATE" not in os.environ else []  # a temp state goes with the cluster
        subprocess.run([str(LAUNCHER), "down", *keep, "--state", str(state)], capture_output=True, timeout=300,
                       check=False)
