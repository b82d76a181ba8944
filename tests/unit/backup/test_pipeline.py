"""The pipeline keeps at most ``depth`` chunks in flight (the memory bound) and yields results in order."""

from __future__ import annotations

import threading

import pytest

from backup.engine.errors import BackupCancelled
from backup.engine.pipeline import ordered_map


def test_results_in_order_with_at_most_depth_in_flight() -> None:
    pulled = 0
    ahead: list[int] = []

    def items() -> object:
        nonlocal pulled
        for i in range(200):
            pulled += 1
            yield i

    results = []
    for value in ordered_map(lambda i: i * 2, items(), workers=3, depth=4):  # type: ignore[arg-type]
        results.append(value)
        ahead.append(pulled - len(results))
    assert results == [i * 2 for i in range(200)]
    assert max(ahead) <= 4


def test_the_first_failure_is_raised_and_stops_reading() -> None:
    pulled = 0

    def items() -> object:
        nonlocal pulled
        for i in range(1000):
            pulled += 1
            yield i

    def job(i: int) -> int:
        if i == 10:
            raise ValueError("chunk 10 failed")
        return i

    with pytest.raises(ValueError, match="chunk 10 failed"):
        list(ordered_map(job, items(), workers=2, depth=3))  # type: ignore[arg-type]
    assert pulled <= 10 + 3 + 1


def test_cancel_stops_the_run() -> None:
    cancel = threading.Event()
    out = ordered_map(lambda i: i, range(100), workers=2, depth=2, cancel=cancel, backup_id="b9")
    assert next(out) == 0
    cancel.set()
    with pytest.raises(BackupCancelled, match="b9"):
        list(out)
