"""Running a service: its RPC servers, other parts, periodic tasks (the heartbeat), a clean stop on SIGTERM."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from common.discovery import Registry, ServiceRecord

log = logging.getLogger(__name__)


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

    def wait_for_signal(self) -> None:
        """Block the main thread until SIGTERM or SIGINT, then stop."""
        done = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: done.set())
        done.wait()
        log.info("%s stopping", self.name)
        self.stop()
