"""Cached venvs for the OpenStack tools ember is tested against (Keystone, Tempest), apart from ember's own.

Their pins differ from ember's, so each lives in ``$EMBER_CACHE_DIR`` (default ``~/.cache/ember``) as
``<name>-venv``, reused across runs and test sessions, rebuilt when its stamp does not match what is asked
(the requirements plus the constraints file) or its check fails. Builds of one venv are serialised with a
lock file, so parallel sessions never build the same folder at once.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from localcluster.procs import LaunchError, tail

HERE = Path(__file__).resolve().parent
CONSTRAINTS = HERE / "constraints"
INSTALL_TIMEOUT_S = 900.0


def cache_dir() -> Path:
    return Path(os.environ.get("EMBER_CACHE_DIR") or Path.home() / ".cache" / "ember")


@dataclass(frozen=True)
class ToolVenv:
    """A venv holding ``requirements`` installed under ``constraints``; ``check`` is Python that must run in it."""

    name: str
    requirements: tuple[str, ...]
    constraints: Path
    check: str

    @property
    def path(self) -> Path:
        return cache_dir() / f"{self.name}-venv"

    @property
    def python(self) -> Path:
        return self.path / "bin" / "python"

    def bin(self, script: str) -> Path:
        return self.path / "bin" / script

    @property
    def build_log(self) -> Path:
        return cache_dir() / f"{self.name}-build.log"

    def digest(self) -> str:
        wanted = "\n".join(self.requirements) + "\n" + self.constraints.read_text()
        return hashlib.sha256(wanted.encode()).hexdigest()

    def healthy(self) -> bool:
        stamp = self.path / ".ember-stamp"
        if not stamp.exists() or stamp.read_text().strip() != self.digest():
            return False
        result = subprocess.run([str(self.python), "-c", self.check], capture_output=True, timeout=120,
                                check=False)
        return result.returncode == 0

    def ensure(self) -> float:
        """Build the venv unless a healthy one is cached; the seconds spent (0.0 when it was cached)."""
        cache_dir().mkdir(parents=True, exist_ok=True)
        with open(cache_dir() / f"{self.name}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if self.healthy():
                return 0.0
            began = time.monotonic()
            self._build()
            return time.monotonic() - began

    def _build(self) -> None:
        # a venv cannot be moved (its scripts name their interpreter), so it is built in place; the
        # stamp is written last, so a build that died half-way is never taken for a good one
        shutil.rmtree(self.path, ignore_errors=True)
        base = getattr(sys, "_base_executable", sys.executable)
        pip = [str(self.bin("pip")), "install", "-q", "-c", str(self.constraints), *self.requirements]
        with open(self.build_log, "w") as log:
            self._step(log, [base, "-m", "venv", str(self.path)])
            if not self._step(log, pip, required=False):
                # uWSGI compiles its C on one thread per core; once here a compiler thread died (EFAULT on
                # exec of /bin/sh) and the link failed: retry once with a serial compile
                self._step(log, pip, extra_env={"CPUCOUNT": "1"})
        check = subprocess.run([str(self.python), "-c", self.check], capture_output=True, text=True, timeout=120,
                               check=False)
        if check.returncode != 0:
            raise LaunchError(f"{self.path} was built but its check fails:\n{check.stderr[-2000:]}")
        (self.path / ".ember-stamp").write_text(self.digest() + "\n")

    def _step(self, log: TextIO, argv: list[str], *, extra_env: dict[str, str] | None = None,
              required: bool = True) -> bool:
        log.write(f"$ {' '.join(argv)}{f' (with {extra_env})' if extra_env else ''}\n")
        log.flush()
        result = subprocess.run(argv, stdout=log, stderr=subprocess.STDOUT, timeout=INSTALL_TIMEOUT_S,
                                env={**os.environ, **(extra_env or {})}, check=False)
        if result.returncode != 0 and required:
            raise LaunchError(f"building {self.path} failed (rc {result.returncode}); "
                              f"last lines of {self.build_log}:\n{tail(self.build_log)}")
        return result.returncode == 0
