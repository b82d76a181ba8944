"""The shape every local-cluster component shares: its folder, pid file, log, probe and signals."""

from __future__ import annotations

import signal
import time
from pathlib import Path

from localcluster import probes
from localcluster.procs import LaunchError, PidRecord, read_record, stop_group, tail, wait_until


class Component:
    """One process the launcher starts; subclasses say how to launch, probe and stop it."""

    group = ""
    start_timeout_s = 60.0
    stop_grace_s = 30.0

    def __init__(self, state: Path, name: str, port: int | None) -> None:
        self.state = state
        self.name = name
        self.port = port

    @property
    def dir(self) -> Path:
        return self.state / self.group / self.name

    @property
    def pidfile(self) -> Path:
        return self.dir / "pid"

    @property
    def log(self) -> Path:
        return self.dir / "stdout.log"

    def logs(self) -> list[Path]:
        """Logs worth showing when the component fails, most useful first."""
        return [self.log]

    def ports(self) -> list[int]:
        """Every port it listens on; a port in use by something else stops ``up``."""
        return [self.port] if self.port else []

    def record(self) -> PidRecord | None:
        return read_record(self.pidfile)

    def alive(self) -> bool:
        record = self.record()
        return record is not None and record.alive()

    def main_pid(self) -> int | None:
        record = self.record()
        return record.pid if record is not None and record.leader_alive() else None

    def probe(self) -> tuple[bool, str]:
        """(healthy, detail) for a live process; the default is "its port answers"."""
        if self.port is None:
            return True, ""
        return probes.tcp_open(self.port), ""

    def healthy(self) -> bool:
        return self.alive() and self.probe()[0]

    def prepare(self) -> None:
        """Write config files and folders; safe to repeat."""
        self.dir.mkdir(parents=True, exist_ok=True)

    def launch(self) -> None:
        raise NotImplementedError

    def check_ports_free(self) -> None:
        busy = [p for p in self.ports() if probes.tcp_open(p, timeout_s=0.2)]
        if busy:
            raise LaunchError(f"{self.name}: port(s) {busy} already in use by a process this launcher did not "
                              f"start (another local cluster, or a system service?)")

    def start(self) -> None:
        """Launch unless already running, then wait until healthy."""
        if not self.alive():
            self.prepare()
            self.check_ports_free()
            self.launch()
        self.wait_ready()

    def wait_ready(self, timeout_s: float | None = None) -> float:
        began = time.monotonic()
        ok = wait_until(self.healthy, timeout_s=timeout_s or self.start_timeout_s, abort=self._died)
        if not ok:
            raise LaunchError(self.failure(f"not healthy after {timeout_s or self.start_timeout_s:.0f}s"))
        return time.monotonic() - began

    def _died(self) -> str | None:
        return None if self.alive() else self.failure("exited during start")

    def failure(self, what: str) -> str:
        parts = [f"{self.name}: {what}"]
        for log in self.logs():
            parts.append(f"--- last lines of {log}:\n{tail(log)}")
        return "\n".join(parts)

    def stop(self) -> None:
        stop_group(self.record(), grace_s=self.stop_grace_s)

    def kill(self) -> None:
        record = self.record()
        if record is None or not record.alive():
            return
        record.signal_group(signal.SIGKILL)
        wait_until(lambda: not record.alive(), timeout_s=10, interval_s=0.05)
