"""A transfer accepted by the receiver while the giver withdraws it, on MariaDB through separate processes:
every round exactly one wins, and the volume is available in exactly one project."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from bench.stack import SplitStack
from tests.helpers import race

pytestmark = pytest.mark.integration

GIVER = {"X-Auth-Token": "giver:giver", "OpenStack-API-Version": "volume 3.57"}
TAKER = {"X-Auth-Token": "taker:taker", "OpenStack-API-Version": "volume 3.57"}
ROUNDS = 8


@pytest.fixture(scope="module")
def stack() -> Iterator[SplitStack]:
    running = SplitStack(driver="file", quota_volumes=-1, schedulers=1).start()
    yield running
    running.close()


def _available(api: httpx.Client, volume_id: str, timeout_s: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        volume: dict[str, Any] = api.get(f"/volumes/{volume_id}").json()["volume"]
        if volume["status"] == "available":
            return volume
        time.sleep(0.1)
    raise AssertionError(f"volume {volume_id} stayed {volume['status']}")


def test_accept_racing_the_givers_withdrawal_has_exactly_one_winner(stack: SplitStack) -> None:
    with httpx.Client(base_url=stack.endpoint, headers=GIVER, timeout=30) as giver, \
            httpx.Client(base_url=stack.endpoint, headers=TAKER, timeout=30) as taker, \
            httpx.Client(base_url=stack.endpoint, headers={"X-Auth-Token": "admin:admin"}, timeout=30) as admin:
        outcomes = []
        for _ in range(ROUNDS):
            volume_id = giver.post("/volumes", json={"volume": {"size": 1}}).json()["volume"]["id"]
            _available(giver, volume_id)
            offer = giver.post("/volume-transfers", json={"transfer": {"volume_id": volume_id}})
            assert offer.status_code == 202, offer.text
            transfer = offer.json()["transfer"]

            def act(i: int, transfer: dict[str, Any] = transfer) -> httpx.Response:
                if i == 0:
                    return taker.post(f"/volume-transfers/{transfer['id']}/accept",
                                      json={"accept": {"auth_key": transfer["auth_key"]}})
                return giver.delete(f"/volume-transfers/{transfer['id']}")

            accepted, withdrawn = race(2, act)
            assert isinstance(accepted, httpx.Response) and isinstance(withdrawn, httpx.Response)
            winners = [r for r in (accepted, withdrawn) if r.status_code in (200, 202)]
            assert len(winners) == 1, (accepted.text, withdrawn.text)
            loser = withdrawn if winners[0] is accepted else accepted
            assert loser.status_code in (400, 404), loser.text
            volume = _available(admin, volume_id)
            owner = "taker" if winners[0] is accepted else "giver"
            assert volume["os-vol-tenant-attr:tenant_id"] == owner
            outcomes.append(owner)
            assert admin.get(f"/os-volume-transfer/{transfer['id']}").status_code == 404
        print(f"\ntransfer race: {ROUNDS} rounds, accepted {outcomes.count('taker')}, "
              f"withdrawn {outcomes.count('giver')}")
