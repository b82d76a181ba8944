"""A volume service whose HA supervisor thread dies ends its process, and its standby takes over.

Two volume services serve one backend (noop driver) on MariaDB + RabbitMQ; the active is the real
ember-volume started through ``supervisor_victim.py``, which makes its supervisor thread die of
an unexpected error on SIGUSR1.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bench.stack import SplitStack
from common.service import EXIT_PART_DIED

pytestmark = pytest.mark.integration

ADMIN = {"X-Auth-Token": "admin:admin", "OpenStack-API-Version": "volume 3.71"}
VICTIM = Path(__file__).with_name("supervisor_victim.py")
EXIT_WITHIN_S = 12  # the clean part of the stop is bounded by common.service.FAIL_STOP_S (10 s)


@pytest.fixture(scope="module")
def stack() -> Iterator[SplitStack]:
    running = SplitStack(driver="noop", volume_services=2, schedulers=1).start()
    yield running
    running.close()


def _volume_service(api: httpx.Client, node: str) -> dict[str, Any] | None:
    for service in api.get("/os-services?binary=cinder-volume&ha=true").json()["services"]:
        if service["node"] == node:
            return dict(service)
    return None


def _wait_for_role(api: httpx.Client, node: str, role: str, *, above_epoch: int = -1,
                   timeout_s: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    service = None
    while time.monotonic() < deadline:
        service = _volume_service(api, node)
        if service and service["state"] == "up" and service["ha_role"] == role \
                and (service["ha_epoch"] or 0) > above_epoch:
            return service
        time.sleep(0.2)
    raise AssertionError(f"{node} did not become {role} (epoch above {above_epoch}): {service}")


def test_a_dead_supervisor_ends_its_process_and_the_standby_takes_over(stack: SplitStack) -> None:
    api = httpx.Client(base_url=stack.endpoint, headers=ADMIN, timeout=30)
    for node in stack.volume_nodes():
        stack.processes[node].stop()
    victim = stack.spawn("volume-a", [Path(sys.executable).name, str(VICTIM)], host="volume-a")
    epoch = _wait_for_role(api, "volume-a", "active")["ha_epoch"]
    stack.spawn("volume-b", ["ember-volume"], host="volume-b")
    _wait_for_role(api, "volume-b", "standby")

    victim.popen.send_signal(signal.SIGUSR1)
    began = time.monotonic()
    try:
        code = victim.popen.wait(EXIT_WITHIN_S)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"the process lives on without its supervisor:\n{victim.log_tail()}") from None
    print(f"the victim exited with {code} {time.monotonic() - began:.1f} s after its supervisor died")
    assert code == EXIT_PART_DIED
    log = victim.log_path.read_text(errors="replace")
    assert "the HA supervisor died" in log and "InjectedFailure" in log

    taken = _wait_for_role(api, "volume-b", "active", above_epoch=epoch)
    print(f"volume-b active under epoch {taken['ha_epoch']} (volume-a held {epoch})")
    created = api.post("/volumes", json={"volume": {"size": 1}})
    assert created.status_code == 202, created.text
    volume_id = created.json()["volume"]["id"]
    deadline = time.monotonic() + 30
    while api.get(f"/volumes/{volume_id}").json()["volume"]["status"] != "available":
        assert time.monotonic() < deadline, "the create did not land on the new active"
        time.sleep(0.2)
    api.close()
