"""Attachment calls waiting on a stopped volume service do not hold up the rest of the API.

A SplitStack on MariaDB + RabbitMQ with the noop driver: its volume service is SIGSTOPped while
40 attachment updates wait for it; meanwhile volume listings and health checks still answer
within the issue's 100 ms. After SIGCONT every call ends, connected or with a retryable 503.
"""

from __future__ import annotations

import signal
import statistics
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from bench.stack import SplitStack

pytestmark = pytest.mark.integration

ADMIN = {"X-Auth-Token": "admin:admin", "OpenStack-API-Version": "volume 3.71"}
CONNECTOR = {"initiator": "iqn.1993-08.org.debian:01:compute-s", "ip": "127.0.0.1", "host": "compute-s",
             "platform": "x86_64", "os_type": "linux", "multipath": False}
CALLS = 40
SAMPLES = 20
BOUND_S = 0.1  # the number
RESUME_AFTER_S = 15  # the volume service is resumed by then whatever happens (before the calls' 20 s timeout)


@pytest.fixture(scope="module")
def stack() -> Iterator[SplitStack]:
    running = SplitStack(driver="noop", schedulers=1).start()
    yield running
    running.close()


def _connecting(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(conn.exec_driver_sql("SELECT COUNT(*) FROM attachments WHERE status = 'connecting' "
                                        "AND deleted = 0").scalar_one())


def _reserved_volumes(api: httpx.Client) -> list[str]:
    volume_ids = []
    for _ in range(CALLS):
        created = api.post("/volumes", json={"volume": {"size": 1}})
        assert created.status_code == 202, created.text
        volume_ids.append(created.json()["volume"]["id"])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        shown = api.get("/volumes/detail").json()["volumes"]
        if sum(v["status"] == "available" for v in shown if v["id"] in volume_ids) == CALLS:
            break
        time.sleep(0.2)
    attachment_ids = []
    for volume_id in volume_ids:
        reserved = api.post("/attachments", json={"attachment": {"volume_uuid": volume_id}})
        assert reserved.status_code == 200, reserved.text
        attachment_ids.append(reserved.json()["attachment"]["id"])
    return attachment_ids


def _measure(stack: SplitStack) -> dict[str, list[float]]:
    """Seconds each of ``SAMPLES`` requests per path took, sent every 50 ms (a stalled one does not
    hold up the next) while the calls wait."""
    root = stack.endpoint.removesuffix("/v3")
    paths = {"GET /v3/volumes": f"{stack.endpoint}/volumes", "GET /healthcheck": f"{root}/healthcheck"}
    timings: dict[str, list[float]] = {what: [] for what in paths}
    failures: list[str] = []

    def sample(what: str) -> None:
        with httpx.Client(headers=ADMIN, timeout=60) as client:
            began = time.monotonic()
            response = client.get(paths[what])
            timings[what].append(time.monotonic() - began)
            if response.status_code != 200:
                failures.append(f"{what}: {response.status_code} {response.text}")

    samplers = []
    for _ in range(SAMPLES):
        for what in paths:
            samplers.append(threading.Thread(target=sample, args=(what,)))
            samplers[-1].start()
            time.sleep(0.05)
    for sampler in samplers:
        sampler.join(timeout=90)
    assert not failures, failures
    return timings


def test_waiting_attachment_calls_leave_the_api_answering(stack: SplitStack) -> None:
    engine = sa.create_engine(stack.db_url)
    api = httpx.Client(base_url=stack.endpoint, headers=ADMIN, timeout=60)
    attachment_ids = _reserved_volumes(api)
    volume = stack.processes["volume"].popen
    answers: dict[str, int] = {}

    def connect(attachment_id: str) -> None:
        with httpx.Client(base_url=stack.endpoint, headers=ADMIN, timeout=120) as client:
            response = client.put(f"/attachments/{attachment_id}", json={"attachment": {"connector": CONNECTOR}})
            answers[attachment_id] = response.status_code

    volume.send_signal(signal.SIGSTOP)
    resume = threading.Timer(RESUME_AFTER_S, volume.send_signal, args=(signal.SIGCONT,))
    try:
        resume.start()
        calls = [threading.Thread(target=connect, args=(a,)) for a in attachment_ids]
        for call in calls:
            call.start()
        _wait_until_calls_wait(engine)
        timings = _measure(stack)
        stopped_throughout = not resume.finished.is_set()
    finally:
        resume.cancel()
        volume.send_signal(signal.SIGCONT)
    for call in calls:
        call.join(timeout=120)

    for what, samples in timings.items():
        print(f"{what} with {CALLS} attachment calls waiting: median {statistics.median(samples) * 1000:.1f} ms, "
              f"max {max(samples) * 1000:.1f} ms")
    codes = list(answers.values())
    print(f"the {CALLS} attachment calls after SIGCONT: {codes.count(200)} connected, {codes.count(503)} answered 503")
    assert stopped_throughout, "the volume service was resumed before the measurement ended"
    assert sorted(answers) == sorted(attachment_ids), "an attachment call did not end"
    assert set(answers.values()) <= {200, 503}, answers
    for attachment_id, code in answers.items():
        shown = api.get(f"/attachments/{attachment_id}").json()["attachment"]
        if code == 200:
            assert shown["status"] == "attaching" and shown["connection_info"], shown
        else:
            assert shown["status"] == "reserved", shown
    _wait_for(lambda: _connecting(engine) == 0, "an attachment stays connecting")
    for what, samples in timings.items():
        assert statistics.median(samples) < BOUND_S and max(samples) < BOUND_S, (what, samples)
    engine.dispose()
    api.close()


def _wait_until_calls_wait(engine: sa.Engine) -> None:
    """Until the calls that got a thread have all begun connecting (the count stops growing)."""
    deadline = time.monotonic() + 30
    seen, steady_since = -1, time.monotonic()
    while time.monotonic() < deadline:
        count = _connecting(engine)
        if count != seen:
            seen, steady_since = count, time.monotonic()
        elif count > 0 and time.monotonic() - steady_since > 1.0:
            return
        time.sleep(0.1)
    raise AssertionError(f"the attachment calls did not reach the volume service ({seen} connecting)")


def _wait_for(condition: Any, failure: str, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(failure)
