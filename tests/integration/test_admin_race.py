"""The mixed race: 20 simultaneous extend / delete / snapshot / reset-status requests on one volume.

On ember split into processes (MariaDB, RabbitMQ, the file driver writing real files), 20
rounds; after each: every answer was a 202 or a Cinder fault (400, or 404 after a winning
delete), no more operations won than the
state table allows, everything lands in a final status, a live volume's file exists with the
size the DB says (no ghost), a deleted one's file is gone, and ``ember-manage quota check`` is clean.
"""

from __future__ import annotations

import functools
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from bench.stack import BIN, SplitStack
from tests.helpers import race
from volume.states.snapshots import SNAPSHOT_RECOVERY
from volume.states.volumes import RECOVERY

pytestmark = pytest.mark.integration

ROUNDS = 20
PER_KIND = 5
GiB = 1024**3
TOKEN = {"X-Auth-Token": "racer:racer"}
TRANSIENT = {str(s) for s in RECOVERY} | {str(s) for s in SNAPSHOT_RECOVERY}


@pytest.fixture(scope="module")
def stack() -> Any:
    stack = SplitStack(driver="file", quota_volumes=-1, schedulers=1).start()
    yield stack
    stack.close()


def _settled(api: httpx.Client, volume_id: str, timeout_s: float = 60) -> dict[str, Any] | None:
    """The volume once it and its snapshots are out of transient statuses; None once it is gone."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        response = api.get(f"/volumes/{volume_id}")
        snapshots = api.get("/snapshots/detail", params={"volume_id": volume_id}).json()["snapshots"]
        if all(s["status"] not in TRANSIENT for s in snapshots):
            if response.status_code == 404:
                return None
            volume: dict[str, Any] = response.json()["volume"]
            if volume["status"] not in TRANSIENT:
                return volume
        time.sleep(0.1)
    raise AssertionError(f"volume {volume_id} did not settle: {api.get(f'/volumes/{volume_id}').text}")


def _send(clients: list[httpx.Client], kinds: list[str], volume_id: str, i: int) -> httpx.Response:
    return _request(clients[i], kinds[i], volume_id)


def _request(api: httpx.Client, kind: str, volume_id: str) -> httpx.Response:
    if kind == "extend":
        return api.post(f"/volumes/{volume_id}/action", json={"os-extend": {"new_size": 2}})
    if kind == "delete":
        return api.delete(f"/volumes/{volume_id}")
    if kind == "snapshot":
        return api.post("/snapshots", json={"snapshot": {"volume_id": volume_id}})
    return api.post(f"/volumes/{volume_id}/action", json={"os-reset_status": {"status": "available"}})


def _quota_check(stack: SplitStack) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "ember-manage"), "--config-file", str(stack.workdir / "ember.conf"),
                           "quota", "check"], capture_output=True, text=True, timeout=60, check=False)


def test_the_mixed_race_leaves_a_consistent_volume_every_round(stack: SplitStack) -> None:
    share = Path(stack.workdir) / "share"
    kinds = [kind for kind in ("extend", "delete", "snapshot", "reset") for _ in range(PER_KIND)]
    clients = [httpx.Client(base_url=stack.endpoint, headers=TOKEN, timeout=30) for _ in kinds]
    api = clients[0]
    outcomes: Counter[str] = Counter()
    try:
        for round_no in range(ROUNDS):
            created = api.post("/volumes", json={"volume": {"size": 1, "name": f"race-{round_no}"}})
            assert created.status_code == 202, created.text
            volume_id = created.json()["volume"]["id"]
            assert _settled(api, volume_id) is not None

            answers = race(len(kinds), functools.partial(_send, clients, kinds, volume_id))
            won: Counter[str] = Counter()
            for kind, answer in zip(kinds, answers, strict=True):
                assert isinstance(answer, httpx.Response), answer
                # a loser learns why: a Cinder 400, or a 404 once a winning delete has finished
                assert answer.status_code in (202, 400, 404), (kind, answer.status_code, answer.text)
                if answer.status_code == 202:
                    won[kind] += 1
                else:
                    assert set(answer.json()) == {"badRequest" if answer.status_code == 400 else "itemNotFound"}
            outcomes.update(f"{kind} won" for kind in won.elements())
            assert sum(won.values()) >= 1
            volume = _settled(api, volume_id)
            snapshots = api.get("/snapshots/detail", params={"volume_id": volume_id}).json()["snapshots"]
            _check_winners(won, volume, snapshots, round_no)

            path = share / f"volume-{volume_id}"
            if volume is None:
                assert not path.exists(), f"round {round_no}: a deleted volume left {path}"
            else:
                assert path.exists(), f"round {round_no}: ghost: volume {volume_id} is {volume['status']} " \
                                      "and its file is gone"
                assert path.stat().st_size == volume["size"] * GiB, (round_no, volume)
            for snapshot in snapshots:
                if snapshot["status"] == "available":
                    assert (share / f"snapshot-{snapshot['id']}.raw").exists(), (round_no, snapshot)
            check = _quota_check(stack)
            assert check.returncode == 0, f"round {round_no}:\n{check.stdout}{check.stderr}"

            for snapshot in snapshots:
                assert api.delete(f"/snapshots/{snapshot['id']}").status_code == 202
            for snapshot in snapshots:
                _wait_gone(api, f"/snapshots/{snapshot['id']}")
            if volume is not None:
                assert api.delete(f"/volumes/{volume_id}").status_code == 202, volume
                _wait_gone(api, f"/volumes/{volume_id}")
        print(f"\nmixed race, {ROUNDS} rounds: {dict(outcomes)}")
        assert _quota_check(stack).returncode == 0
    finally:
        for client in clients:
            client.close()


def _check_winners(won: Counter[str], volume: dict[str, Any] | None, snapshots: list[dict[str, Any]],
                   round_no: int) -> None:
    """What the state table allows to have won, given the final state.

    Operations that do not overlap may each win (a snapshot that finished lets an extend in);
    but every extend asks for 2 GB and a delete ends the volume, so a second winner of either
    needs a reset that dropped the first before it ran; and each winner shows in the end.
    """
    where = f"round {round_no}: {dict(won)}, volume {volume and volume['status']}, {len(snapshots)} snapshot(s)"
    assert won["extend"] <= 1 + won["reset"] and won["delete"] <= 1 + won["reset"], where
    assert len(snapshots) == won["snapshot"], where  # every accepted snapshot, and no other
    if snapshots:
        assert volume is not None, where  # a volume with snapshots cannot be deleted
    if won["reset"] == 0:
        if won["delete"]:
            assert volume is None, where
        if won["extend"] and volume is not None:
            assert volume["size"] == 2, where


def _wait_gone(api: httpx.Client, path: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while api.get(path).status_code != 404:
        assert time.monotonic() < deadline, f"{path} was not deleted: {api.get(path).text}"
        time.sleep(0.1)
