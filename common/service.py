"""Running a service: its RPC servers, other parts, periodic tasks (the heartbeat), a clean stop on SIGTERM,
and the end of the process when a part it cannot live without dies (``fail``)."""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from common.discovery import Registry, ServiceRecord

log = logging.getLogger(__name__)

# the exit status of a process that ended because a part of it died (sysexits' EX_SOFTWARE)
EXIT_PART_DIED = 70
# how long such a process tries to stop cleanly (hand its lease over) before it ends anyway
FAIL_STOP_S = 10.0


class Part(Protocol):
    """Something a service starts and stops with itself (an RPC server, a backend's supervisor)."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


@dataclass
class PeriodicTask:
    name: str
    interval_s: float
    run: Callable[[], object]
    run_at_start: bool = True


def heartbeat_task(interval_s: float, *, beat: Callable[[str | None], object], registry: Registry,
                   service: ServiceRecord, role: Callable[[], str | None] = lambda: None) -> PeriodicTask:
    """Record the service alive with its HA role: in the services table (``beat``) and the registry."""
    def run() -> None:
        current = role()
        beat(current)
        registry.passing(service, role=current)

    return PeriodicTask(f"heartbeat:{service.host}", interval_s, run)


@dataclass
class ServiceRunner:
    """Starts RPC servers, parts and periodic tasks; ``stop`` ends them all, parts first."""

    name: str
    servers: list[Any] = field(default_factory=list)
    parts: list[Part] = field(default_factory=list)
    tasks: list[PeriodicTask] = field(default_factory=list)
    on_stop: list[Callable[[], object]] = field(default_factory=list)
    _stopping: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        for task in self.tasks:
            thread = threading.Thread(target=self._loop, args=(task,), name=f"{self.name}:{task.name}",
                                      daemon=True)
            thread.start()
            self._threads.append(thread)
        for server in self.servers:
            server.start()
        for part in self.parts:
            part.start()

    def _loop(self, task: PeriodicTask) -> None:
        if not task.run_at_start and self._stopping.wait(task.interval_s):
            return
        while not self._stopping.is_set():
            try:
                task.run()
            except Exception:  # a periodic task must never die of one bad round
                log.exception("periodic task %s failed", task.name)
            if self._stopping.wait(task.interval_s):
                return

    def stop(self) -> None:
        for part in self.parts:
            try:
                part.stop()
            except Exception:
                log.exception("stopping a part of %s failed", self.name)
        self._stopping.set()
        for server in self.servers:
            try:
                server.stop()
                server.wait()
            except Exception:
                log.exception("stopping an RPC server of %s failed", self.name)
        for hook in self.on_stop:
            try:
                hook()
            except Exception:
                log.exception("a stop hook of %s failed", self.name)

    def fail(self, what: str) -> None:
        """``what``, a part this process cannot run without, has died: end the process.

        Its heartbeats stop at once (it must not go on looking alive); then it stops what it can
        within ``FAIL_STOP_S`` (an active hands its lease over) and exits with ``EXIT_PART_DIED``,
        so that systemd or its supervisor starts it again.
        """
        log.critical("%s: %s died; ending the process (exit status %d)", self.name, what, EXIT_PART_DIED)
        self._stopping.set()
        threading.Thread(target=self._end_process, name=f"{self.name}:fail", daemon=True).start()

    def _end_process(self) -> None:
        stopping = threading.Thread(target=self.stop, name=f"{self.name}:fail-stop", daemon=True)
        stopping.start()
        stopping.join(FAIL_STOP_S)
        logging.shutdown()
        os._exit(EXIT_PART_DIED)  # from any thread, whatever else still runs

    def wait_for_signal(self) -> None:
        """Block the main thread until SIGTERM or SIGINT, then stop."""
        done = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: done.set())
        done.wait()
        log.info("%s stopping", self.name)
        self.stop()
