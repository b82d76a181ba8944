"""Tempest 47.0.0 (OpenStack 2026.2) against ember: its cached venv, a workspace, tempest.conf, a run's counts.

``TempestWorkspace(path).init()`` runs ``tempest init`` (the workspace registry stays beside the
workspace, not in ~/.tempest), ``write_conf(TempestSettings(...))`` writes etc/tempest.conf for a
block-storage-only cloud behind Keystone, and ``run(regex)`` runs ``tempest run`` and reads the
outcome of every test from ``stestr last --subunit``.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from localcluster.procs import LaunchError, tail
from localcluster.venvs import CONSTRAINTS, ToolVenv

TEMPEST_VERSION = "47.0.0"
VENV = ToolVenv(
    name=f"tempest-{TEMPEST_VERSION}",
    requirements=(f"tempest=={TEMPEST_VERSION}",),
    constraints=CONSTRAINTS / "tempest.txt",
    check="import tempest, stestr, subunit",
)
# services Tempest must not look for: ember is the only service of this cloud besides Keystone
ABSENT_SERVICES = ("nova", "glance", "neutron", "swift", "horizon", "heat", "placement")
PASSED = frozenset({"success", "xfail"})
FAILED = frozenset({"fail", "failure", "error", "uxsuccess"})
SKIPPED = frozenset({"skip"})
# ``[volume] manage_volume_ref`` / ``manage_snapshot_ref`` (ref type, name template) for each of ember's drivers:
# what an unmanaged volume or snapshot is called on its storage (the nfs driver manages no snapshots)
MANAGE_REFS: dict[str, dict[str, str]] = {
    "file": {"manage_volume_ref": "source-name,volume-%s", "manage_snapshot_ref": "source-name,snapshot-%s.raw"},
    "lvm": {"manage_volume_ref": "source-name,volume-%s", "manage_snapshot_ref": "source-name,_snapshot-%s"},
    "nfs": {"manage_volume_ref": "source-name,volume-%s"},
}


@dataclass(frozen=True)
class TempestSettings:
    """What tempest.conf says; ``volume_features`` are the ``[volume-feature-enabled]`` flags, ``extra``
    any further ``{section: {key: value}}`` (it wins over what the fields write)."""

    auth_url: str
    admin_username: str
    admin_password: str
    admin_project_name: str
    region: str = "RegionOne"
    catalog_type: str = "block-storage"
    min_microversion: str = "3.0"
    max_microversion: str = "3.71"
    backend_names: tuple[str, ...] = ()
    storage_protocol: str = "iSCSI"
    vendor_name: str = "Open Source"
    build_timeout_s: int = 120
    driver: str = "file"  # ember's driver behind the backend: the manage references Tempest uses
    volume_features: Mapping[str, bool] = field(default_factory=dict)
    extra: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


def _flag(value: bool) -> str:
    return "True" if value else "False"


def conf_sections(settings: TempestSettings, workspace: Path) -> dict[str, dict[str, str]]:
    sections: dict[str, dict[str, str]] = {
        "DEFAULT": {"log_dir": str(workspace / "logs"), "log_file": "tempest.log"},
        "oslo_concurrency": {"lock_path": str(workspace / "tempest_lock")},
        "auth": {"use_dynamic_credentials": "True", "create_isolated_networks": "False",
                 "admin_username": settings.admin_username, "admin_password": settings.admin_password,
                 "admin_project_name": settings.admin_project_name, "admin_domain_name": "Default"},
        "identity": {"uri_v3": settings.auth_url, "auth_version": "v3", "region": settings.region,
                     "v3_endpoint_type": "public"},
        "identity-feature-enabled": {"api_v2": "False", "api_v3": "True"},
        "service_available": {"cinder": "True", **{name: "False" for name in ABSENT_SERVICES}},
        "volume": {"catalog_type": settings.catalog_type, "region": settings.region,
                   "min_microversion": settings.min_microversion, "max_microversion": settings.max_microversion,
                   "storage_protocol": settings.storage_protocol, "vendor_name": settings.vendor_name,
                   "build_timeout": str(settings.build_timeout_s)},
        "volume-feature-enabled": {name: _flag(on) for name, on in settings.volume_features.items()},
        "validation": {"run_validation": "False"},
        "enforce_scope": {"cinder": "True"},
    }
    if settings.backend_names:
        sections["volume"]["backend_names"] = ",".join(settings.backend_names)
    sections["volume"].update(MANAGE_REFS.get(settings.driver, {}))
    for section, values in settings.extra.items():
        sections.setdefault(section, {}).update(values)
    return sections


def render_conf(settings: TempestSettings, workspace: Path) -> str:
    parts = ["# Written by deploy/localcluster/tempest.py\n"]
    for section, values in conf_sections(settings, workspace).items():
        if values:
            parts.append(f"\n[{section}]\n" + "".join(f"{key} = {value}\n" for key, value in values.items()))
    return "".join(parts)


@dataclass(frozen=True)
class TempestResult:
    """``ran`` counts passed, skipped and failed tests (a failed setUpClass counts once, under its class)."""

    ran: int
    passed: int
    skipped: int
    failed: int
    failing: tuple[str, ...]
    returncode: int
    duration_s: float
    log: Path


def parse_csv(text: str) -> dict[str, str]:
    """Test id -> final status, from subunit2csv's rows (test,status,start_time,stop_time); a failed
    setUpClass is one row, "setUpClass (<class>)"."""
    outcome: dict[str, str] = {}
    for row in csv.DictReader(io.StringIO(text)):
        status = row.get("status", "")
        if status in PASSED | FAILED | SKIPPED:
            outcome[row["test"]] = status
    return outcome


def summarize(outcome: Mapping[str, str], *, returncode: int, duration_s: float, log: Path) -> TempestResult:
    failing = tuple(sorted(test for test, status in outcome.items() if status in FAILED))
    passed = sum(1 for status in outcome.values() if status in PASSED)
    skipped = sum(1 for status in outcome.values() if status in SKIPPED)
    return TempestResult(ran=len(outcome), passed=passed, skipped=skipped, failed=len(failing), failing=failing,
                         returncode=returncode, duration_s=duration_s, log=log)


class TempestWorkspace:
    def __init__(self, path: Path) -> None:
        self.path = path

    @property
    def conf(self) -> Path:
        return self.path / "etc" / "tempest.conf"

    def _env(self) -> dict[str, str]:
        return {**os.environ, "TEMPEST_CONFIG_DIR": str(self.conf.parent), "TEMPEST_CONFIG": self.conf.name,
                "PYTHONWARNINGS": "ignore"}

    def _tempest(self, *args: str, timeout_s: float = 120.0) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(VENV.bin("tempest")), *args], cwd=self.path, env=self._env(),
                              capture_output=True, text=True, timeout=timeout_s, check=False)

    def init(self) -> None:
        """``tempest init`` unless the workspace exists; builds the venv when none is cached."""
        VENV.ensure()
        if (self.path / ".stestr.conf").exists():
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        result = subprocess.run([str(VENV.bin("tempest")), "init", "--workspace-path",
                                 str(self.path.parent / f"{self.path.name}.workspaces.yaml"), str(self.path)],
                                capture_output=True, text=True, timeout=120, check=False)
        if result.returncode != 0:
            raise LaunchError(f"tempest init {self.path} failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")

    def write_conf(self, settings: TempestSettings) -> Path:
        self.conf.write_text(render_conf(settings, self.path))
        return self.conf

    def list_tests(self, regex: str) -> list[str]:
        result = self._tempest("run", "--list-tests", "--regex", regex)
        if result.returncode != 0:
            raise LaunchError(f"tempest run --list-tests failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
        return [line.strip() for line in result.stdout.splitlines() if line.strip().startswith("tempest.")]

    def run(self, regex: str, *, exclude_regex: str | None = None, concurrency: int = 2,
            timeout_s: float = 3600.0) -> TempestResult:
        """``tempest run`` with its output in logs/run-<time>.log; the counts of that run."""
        log = self.path / "logs" / f"run-{time.strftime('%Y%m%d-%H%M%S')}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        argv = [str(VENV.bin("tempest")), "run", "--regex", regex, "--concurrency", str(concurrency)]
        if exclude_regex:
            argv += ["--exclude-regex", exclude_regex]
        began = time.monotonic()
        with open(log, "w") as out:
            result = subprocess.run(argv, cwd=self.path, env=self._env(), stdout=out, stderr=subprocess.STDOUT,
                                    timeout=timeout_s, check=False)
        duration_s = time.monotonic() - began
        return summarize(self.last_run(log), returncode=result.returncode, duration_s=duration_s, log=log)

    def last_run(self, log: Path) -> dict[str, str]:
        stream = subprocess.run([str(VENV.bin("stestr")), "last", "--subunit"], cwd=self.path, env=self._env(),
                                capture_output=True, timeout=300, check=False)
        if stream.returncode != 0 or not stream.stdout:
            raise LaunchError(f"stestr last --subunit found no run in {self.path}; the run's output "
                              f"({log}):\n{tail(log)}")
        table = subprocess.run([str(VENV.bin("subunit2csv"))], input=stream.stdout, capture_output=True,
                               timeout=300, check=False)
        return parse_csv(table.stdout.decode(errors="replace"))


def version() -> str:
    """What ``tempest --version`` answers (e.g. ``tempest 47.0.0``)."""
    VENV.ensure()
    result = subprocess.run([str(VENV.bin("tempest")), "--version"], capture_output=True, text=True, timeout=120,
                            check=False)
    return (result.stdout or result.stderr).strip()
