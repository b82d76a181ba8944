"""A bounded streaming pipeline: jobs on a thread pool, at most ``depth`` in flight, results in order.

Memory stays at about ``depth + 1`` chunk buffers plus what the jobs in flight hold, whatever the
volume's size. Reads happen on the caller's thread (sequential I/O); hashing, compression and store
calls run on the workers (all release the GIL).
"""

from __future__ import annotations

import mmap
import queue
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from backup.engine.errors import BackupCancelled

T = TypeVar("T")
R = TypeVar("R")


def ordered_map(fn: Callable[[T], R], items: Iterable[T], *, workers: int, depth: int,
                cancel: threading.Event | None = None, backup_id: str = "") -> Iterator[R]:
    """``fn(item)`` for each item, run ``workers``-wide with at most ``depth`` unfinished; yields in order.

    The first failure cancels what has not started, waits for what has, and is raised; so is
    ``BackupCancelled`` once ``cancel`` is set.
    """
    pending: deque[Future[R]] = deque()
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="backup") as pool:
        try:
            for item in items:
                if cancel is not None and cancel.is_set():
                    raise BackupCancelled(backup_id)
                while len(pending) >= depth:
                    yield pending.popleft().result()
                pending.append(pool.submit(fn, item))
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()


class BufferPool:
    """``count`` page-aligned buffers of ``size`` bytes (O_DIRECT needs the alignment), lent and returned."""

    def __init__(self, count: int, size: int) -> None:
        self._free: queue.Queue[mmap.mmap] = queue.Queue()
        self._all = [mmap.mmap(-1, size) for _ in range(count)]
        for buf in self._all:
            self._free.put(buf)

    def take(self) -> mmap.mmap:
        return self._free.get()

    def give(self, buf: mmap.mmap) -> None:
        self._free.put(buf)

    def close(self) -> None:
        for buf in self._all:
            try:
                buf.close()
            except BufferError:
                pass  # a view a failed job still holds: the mmap goes with the last reference
