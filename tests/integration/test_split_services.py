"""ember split into processes on MariaDB + RabbitMQ: the life cycle over REST, casts that wait for a consumer."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from bench.stack import SplitStack

pytestmark = pytest.mark.integration

TOKEN = {"X-Auth-Token": "demo:demo"}


def _api(stack: SplitStack) -> httpx.Client:
    return httpx.Client(base_url=stack.endpoint, headers=TOKEN, timeout=30)


def _wait(client: httpx.Client, path: str, *, status: str | None = None, gone: bool = False,
          timeout_s: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    body: dict[str, Any] = {}
    while time.monotonic() < deadline:
        response = client.get(path)
        if gone and response.status_code == 404:
            return {}
        body = next(iter(response.json().values()))
        if status is not None and body.get("status") == status:
            return body
        if str(body.get("status", "")).startswith("error"):
            raise AssertionError(f"{path} ended in {body.get('status')}: {body.get('status_reason')}")
        time.sleep(0.1)
    raise AssertionError(f"{path} did not reach {status or 'gone'}: {body}")


def test_life_cycle_across_processes_keeps_the_data(split_file_stack: SplitStack) -> None:
    stack = split_file_stack
    share = Path(stack.workdir) / "share"
    with _api(stack) as api:
        created = api.post("/volumes", json={"volume": {"size": 1, "name": "db"}})
        assert created.status_code == 202, created.text
        volume_id = created.json()["volume"]["id"]
        _wait(api, f"/volumes/{volume_id}", status="available")
        with open(share / f"volume-{volume_id}", "r+b") as f:
            f.write(b"split-stack" * 50)

        assert api.post(f"/volumes/{volume_id}/action", json={"os-extend": {"new_size": 2}}).status_code == 202
        assert _wait(api, f"/volumes/{volume_id}", status="available")["size"] in (1, 2)
        deadline = time.monotonic() + 30
        while api.get(f"/volumes/{volume_id}").json()["volume"]["size"] != 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert api.get(f"/volumes/{volume_id}").json()["volume"]["size"] == 2

        snap = api.post("/snapshots", json={"snapshot": {"volume_id": volume_id, "name": "s1"}})
        assert snap.status_code == 202, snap.text
        snapshot_id = snap.json()["snapshot"]["id"]
        _wait(api, f"/snapshots/{snapshot_id}", status="available")

        copies = []
        for body in ({"snapshot_id": snapshot_id}, {"source_volid": volume_id}):
            response = api.post("/volumes", json={"volume": {"size": 2, **body}})
            assert response.status_code == 202, response.text
            copies.append(response.json()["volume"]["id"])
        for copy_id in copies:
            _wait(api, f"/volumes/{copy_id}", status="available")
            assert (share / f"volume-{copy_id}").read_bytes()[:550] == b"split-stack" * 50

        refused = api.delete(f"/volumes/{volume_id}")
        assert refused.status_code == 400 and "snapshot" in refused.json()["badRequest"]["message"]
        assert api.delete(f"/snapshots/{snapshot_id}").status_code == 202
        _wait(api, f"/snapshots/{snapshot_id}", gone=True)
        for vid in [*copies, volume_id]:
            assert api.delete(f"/volumes/{vid}").status_code == 202
        for vid in [*copies, volume_id]:
            _wait(api, f"/volumes/{vid}", gone=True)
            assert not (share / f"volume-{vid}").exists()


def test_a_create_cast_while_no_scheduler_runs_is_delivered_when_one_starts(split_file_stack: SplitStack) -> None:
    stack = split_file_stack
    schedulers = [name for name in stack.processes if name.startswith("scheduler")]
    for name in schedulers:
        stack.processes[name].stop()
    try:
        with _api(stack) as api:
            response = api.post("/volumes", json={"volume": {"size": 1}})
            assert response.status_code == 202, response.text
            volume_id = response.json()["volume"]["id"]
            time.sleep(1)
            assert api.get(f"/volumes/{volume_id}").json()["volume"]["status"] == "creating"
            stack.spawn(schedulers[0], ["ember-scheduler"], host=schedulers[0])
            _wait(api, f"/volumes/{volume_id}", status="available", timeout_s=60)
    finally:
        for name in schedulers[1:]:
            stack.spawn(name, ["ember-scheduler"], host=name)


def test_services_report_themselves(split_file_stack: SplitStack) -> None:
    with _api(split_file_stack) as api:
        services = api.get("/os-services").json()["services"]
    seen = {(s["binary"], s["host"]) for s in services if s["state"] == "up"}
    assert {("cinder-scheduler", "scheduler-1"), ("cinder-volume", "volume-1@file-1"),
            ("cinder-backup", "backup-1")} <= seen
