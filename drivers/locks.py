"""Per-volume locks of a driver: one thread at a time in this process, one process at a time on this host.

A lock is a thread lock plus ``flock`` on ``<lock_dir>/<id>.lock``, and every command run while
it is held inherits the lock file (:meth:`Runner.holding`). A storage command that outlives a
killed volume service (commands run in sessions of their own) thus keeps the volume locked
until it ends: the standby that took over, replaying the same operation, waits for it rather
than writing beside it. Several ids are taken in sorted order (a clone locks its source too).
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections import defaultdict
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from drivers.fileops import check_id, translated
from drivers.runner import Runner


class VolumeLocks:
    def __init__(self, lock_dir: str, runner: Runner) -> None:
        self._dir = lock_dir
        self._runner = runner
        self._threads: defaultdict[str, threading.Lock] = defaultdict(threading.Lock)
        self._guard = threading.Lock()

    @contextmanager
    def hold(self, *resource_ids: str) -> Iterator[None]:
        with ExitStack() as stack:
            for resource_id in sorted(set(map(check_id, resource_ids))):
                stack.enter_context(self._one(resource_id))
            yield

    @contextmanager
    def _one(self, resource_id: str) -> Iterator[None]:
        with self._guard:
            thread_lock = self._threads[resource_id]
        with thread_lock:
            with translated(f"cannot open the lock of {resource_id} in {self._dir}"):
                os.makedirs(self._dir, exist_ok=True)
                fd = os.open(os.path.join(self._dir, f"{resource_id}.lock"), os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)  # waits for a predecessor's command still running
                with self._runner.holding(fd):
                    yield
            finally:
                os.close(fd)
