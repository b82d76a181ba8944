"""The threads of requests that wait for another service's answer, apart from every other request's.

An attach or detach waits on an RPC call to the backend's active volume service (up to
``attachment_call_timeout_s``) and holds its thread all that time. The routes that make such
calls say so in the route table (``calls_service``) and ``api.spec`` runs them here: on at most
``service_call_threads`` threads, with up to ``service_call_queue`` more waiting for one; past
that a request is answered 503 at once. The other routes keep the default threads to themselves,
so a slow or stopped volume service cannot hold up listings or health checks.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

from anyio import CapacityLimiter, to_thread

from rpc.errors import ServiceUnavailable

T = TypeVar("T")


class CallPool:
    def __init__(self, *, threads: int, queue: int) -> None:
        self.threads = threads
        self.capacity = threads + queue
        self._admitted = 0  # running or waiting for a thread; only the event loop changes it
        self._limiter: CapacityLimiter | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def run(self, func: Callable[[], T]) -> T:
        """``func()`` on one of the pool's threads; ServiceUnavailable when the queue is full."""
        if self._admitted >= self.capacity:
            raise ServiceUnavailable(f"{self._admitted} requests already wait for volume services (attach, "
                                     "detach) on this API process; retry the request in a few seconds")
        self._admitted += 1
        try:
            return await to_thread.run_sync(func, limiter=self._limiter_of_loop())
        finally:
            self._admitted -= 1

    def _limiter_of_loop(self) -> CapacityLimiter:
        # made in the loop that serves the requests (a limiter belongs to one event loop)
        loop = asyncio.get_running_loop()
        if self._limiter is None or self._loop is not loop:
            self._limiter, self._loop = CapacityLimiter(self.threads), loop
        return self._limiter
