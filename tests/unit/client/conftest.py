"""A scripted Cinder endpoint behind httpx.MockTransport, plugged into the CLI's transport seam."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from client import http, waiting
from client.cli import main

Reply = httpx.Response | Callable[[httpx.Request], httpx.Response]


@dataclass
class FakeEndpoint:
    """Answers by (method, path); a route given a list answers with its items in turn, then the last."""

    routes: dict[tuple[str, str], list[Reply]] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)

    def on(self, method: str, path: str, *replies: Reply) -> None:
        self.routes[(method, path)] = list(replies)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        replies = self.routes.get((request.method, request.url.path))
        if not replies:
            return fault(404, "itemNotFound", f"no route {request.method} {request.url.path}")
        reply = replies.pop(0) if len(replies) > 1 else replies[0]
        return reply(request) if callable(reply) else reply

    def sent(self, method: str, path: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.method == method and r.url.path == path]


def ok(body: Any = None, status: int = 200) -> httpx.Response:
    if body is None:
        return httpx.Response(status, headers={"x-openstack-request-id": "req-ok"})
    return httpx.Response(status, json=body, headers={"x-openstack-request-id": "req-ok"})


def fault(code: int, kind: str, message: str, request_id: str = "req-fault") -> httpx.Response:
    return httpx.Response(code, json={kind: {"code": code, "message": message}},
                          headers={"x-openstack-request-id": request_id})


def body_of(request: httpx.Request) -> Any:
    return json.loads(request.content)


@pytest.fixture
def endpoint(monkeypatch: pytest.MonkeyPatch) -> FakeEndpoint:
    fake = FakeEndpoint()
    monkeypatch.setattr(http, "transport_factory", lambda: httpx.MockTransport(fake.handle))
    monkeypatch.setattr(waiting, "POLL_INTERVAL_S", 0.0)
    for name in ("EMBER_ENDPOINT", "OS_VOLUME_ENDPOINT", "OS_PROJECT_ID", "OS_USER_ID"):
        monkeypatch.delenv(name, raising=False)
    return fake


@pytest.fixture
def ember(endpoint: FakeEndpoint, capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    """Run ``ember ARGS`` and return (exit status, stdout, stderr)."""

    def run(*argv: str) -> tuple[int, str, str]:
        status = main(list(argv))
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    return run
