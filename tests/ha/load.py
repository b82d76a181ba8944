"""A bounded mixed load through HAProxy that counts every request and what became of it.

Each worker owns its volumes and walks them through create → extend → snapshot → delete
snapshot → delete. A request whose outcome is unknown (connection cut, 5xx) is retried: POSTs
with the same Idempotency-Key, the rest after reading the resource back. Any other answer
that is not 2xx (a 409 "still in progress" included) counts as a failed request.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

FINAL_VOLUME = {"available", "error", "error_extending", "error_deleting"}
RETRYABLE = {500, 502, 503, 504}


@dataclass
class Tally:
    sent: int = 0
    failed: int = 0       # the client gave up: an error answer it could not retry away
    accepted: int = 0     # 2xx: ember took the request
    retries: int = 0
    slowest_s: float = 0.0  # the longest a request took to be accepted, retries included
    created: list[str] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def accepted_after(self, started: float) -> None:
        with self.lock:
            self.accepted += 1
            self.slowest_s = max(self.slowest_s, time.monotonic() - started)

    def add(self, **counts: int) -> None:
        with self.lock:
            for name, n in counts.items():
                setattr(self, name, getattr(self, name) + n)


class Worker(threading.Thread):
    def __init__(self, endpoint: str, tally: Tally, stop: threading.Event, *, name: str,
                 step_timeout_s: float = 90) -> None:
        super().__init__(name=name, daemon=True)
        self.http = httpx.Client(base_url=endpoint, headers={"X-Auth-Token": "ha:ha"}, timeout=15)
        self.tally = tally
        self.stop_event = stop
        self.step_timeout_s = step_timeout_s
        self.cycles = 0

    def run(self) -> None:
        while not self.stop_event.is_set():
            try:
                self.cycle()
                self.cycles += 1
            except _GaveUp as error:
                self.tally.add(failed=1)
                with self.tally.lock:
                    self.tally.errors[str(error)[:120]] += 1

    # -- one volume's life ---------------------------------------------------------------

    def cycle(self) -> None:
        name = f"ha-{uuid.uuid4().hex[:12]}"
        volume = self.post("/volumes", {"volume": {"size": 1, "name": name}})["volume"]
        with self.tally.lock:
            self.tally.created.append(name)
        vid = volume["id"]
        self.wait_volume(vid, lambda v: v["status"] == "available")
        self.action(vid, {"os-extend": {"new_size": 2}}, done=lambda v: v["status"] == "extending" or v["size"] == 2)
        self.wait_volume(vid, lambda v: v["status"] == "available" and v["size"] == 2)
        snap = self.post("/snapshots", {"snapshot": {"volume_id": vid, "name": name}})["snapshot"]
        self.wait(f"/snapshots/{snap['id']}", lambda s: s["status"] == "available")
        self.delete(f"/snapshots/{snap['id']}")
        self.wait_gone(f"/snapshots/{snap['id']}")
        self.delete(f"/volumes/{vid}")
        self.wait_gone(f"/volumes/{vid}")

    # -- requests with retries ---------------------------------------------------------

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response | None:
        self.tally.add(sent=1)
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.HTTPError:
            return None
        if response.status_code in RETRYABLE:
            return None
        return response

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        started = time.monotonic()
        key = str(uuid.uuid4())
        deadline = time.monotonic() + self.step_timeout_s
        while time.monotonic() < deadline:
            response = self._send("POST", path, json=body, headers={"Idempotency-Key": key})
            if response is not None:
                if response.status_code >= 400:
                    raise _GaveUp(f"POST {path}: {response.status_code} {response.text[:200]}")
                self.tally.accepted_after(started)
                return dict(response.json())
            self.tally.add(retries=1)
            time.sleep(0.5)
        raise _GaveUp(f"POST {path}: no answer within {self.step_timeout_s}s")

    def action(self, vid: str, body: dict[str, Any], *, done: Any) -> None:
        started = time.monotonic()
        deadline = time.monotonic() + self.step_timeout_s
        while time.monotonic() < deadline:
            response = self._send("POST", f"/volumes/{vid}/action", json=body)
            if response is not None and response.status_code == 202:
                self.tally.accepted_after(started)
                return
            current = self.get(f"/volumes/{vid}")
            if current is not None and done(current):  # the first try got through after all
                self.tally.accepted_after(started)
                return
            if response is not None and response.status_code >= 400:
                raise _GaveUp(f"action on {vid}: {response.status_code} {response.text[:200]}")
            self.tally.add(retries=1)
            time.sleep(0.5)
        raise _GaveUp(f"action on {vid}: no answer within {self.step_timeout_s}s")

    def delete(self, path: str) -> None:
        started = time.monotonic()
        deadline = time.monotonic() + self.step_timeout_s
        while time.monotonic() < deadline:
            response = self._send("DELETE", path)
            if response is not None and response.status_code == 202:
                self.tally.accepted_after(started)
                return
            current = self.get(path, missing_ok=True)
            if current is None or current.get("status") == "deleting":
                self.tally.accepted_after(started)
                return
            if response is not None and response.status_code >= 400:
                raise _GaveUp(f"DELETE {path}: {response.status_code} {response.text[:200]}")
            self.tally.add(retries=1)
            time.sleep(0.5)
        raise _GaveUp(f"DELETE {path}: no answer within {self.step_timeout_s}s")

    def get(self, path: str, *, missing_ok: bool = False) -> dict[str, Any] | None:
        deadline = time.monotonic() + self.step_timeout_s
        while time.monotonic() < deadline:
            try:
                response = self.http.get(path)
            except httpx.HTTPError:
                time.sleep(0.3)
                continue
            if response.status_code == 404 and missing_ok:
                return None
            if response.status_code == 200:
                return dict(next(iter(response.json().values())))
            time.sleep(0.3)
        raise _GaveUp(f"GET {path}: no answer within {self.step_timeout_s}s")

    def wait(self, path: str, ok: Any) -> dict[str, Any]:
        deadline = time.monotonic() + self.step_timeout_s
        body: dict[str, Any] | None = None
        while time.monotonic() < deadline:
            body = self.get(path)
            assert body is not None
            if ok(body):
                return body
            if str(body.get("status", "")).startswith("error"):
                raise _GaveUp(f"{path} ended in {body['status']}: {body.get('status_reason')}")
            time.sleep(0.2)
        raise _GaveUp(f"{path} stayed {body and body.get('status')} for {self.step_timeout_s}s")

    def wait_volume(self, vid: str, ok: Any) -> dict[str, Any]:
        return self.wait(f"/volumes/{vid}", ok)

    def wait_gone(self, path: str) -> None:
        deadline = time.monotonic() + self.step_timeout_s
        while time.monotonic() < deadline:
            if self.get(path, missing_ok=True) is None:
                return
            time.sleep(0.2)
        raise _GaveUp(f"{path} was not deleted within {self.step_timeout_s}s")


class _GaveUp(Exception):
    pass


def run_load(endpoint: str, *, workers: int, during: Any) -> tuple[Tally, list[Worker]]:
    """Run ``workers`` while ``during()`` runs (it injects the fault), then let them finish their cycle."""
    tally = Tally()
    stop = threading.Event()
    pool = [Worker(endpoint, tally, stop, name=f"load-{i}") for i in range(workers)]
    for worker in pool:
        worker.start()
    try:
        during()
    finally:
        stop.set()
        for worker in pool:
            worker.join(timeout=240)
    return tally, pool
