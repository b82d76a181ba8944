"""Small helpers shared by test tiers."""

from __future__ import annotations

import threading
from collections.abc import Callable


def race(n: int, body: Callable[[int], object]) -> list[object]:
    """Run ``body(i)`` in ``n`` threads released at the same instant; each result or exception, by i."""
    barrier = threading.Barrier(n)
    results: list[object] = [None] * n

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = body(i)
        except Exception as error:  # noqa: BLE001 - the caller inspects what each thread got
            results[i] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results
