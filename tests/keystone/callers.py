"""Calling the tier's ember as a Keystone persona: password logins, and a small HTTP caller that sends the
persona's token (and a service token) with every request."""

from __future__ import annotations

import time
from typing import Any

import httpx
from keystoneauth1 import session
from keystoneauth1.identity import v3
from localcluster.keystone import Keystone

# the personas the tier logs in as (deploy/localcluster/identity.py makes them)
PERSONAS = ("admin", "service", "demo-member", "demo-reader", "alt-member")
MICROVERSION = "volume 3.71"


def login(keystone: Keystone, persona: str) -> tuple[str, str]:
    """(token, project id) of a password login as ``persona``."""
    creds = keystone.credentials(persona)
    auth = v3.Password(auth_url=creds.auth_url, username=creds.username, password=creds.password,
                       project_name=creds.project_name, user_domain_name=creds.user_domain_name,
                       project_domain_name=creds.project_domain_name)
    info = auth.get_access(session.Session(auth=auth))
    assert info.auth_token and info.project_id
    return info.auth_token, info.project_id


class Caller:
    """Requests to ember's ``/v3`` as one caller: its token (or none) and an optional ``X-Service-Token``."""

    def __init__(self, endpoint: str, token: str | None, project_id: str = "",
                 service_token: str | None = None, microversion: str = "volume 3.60") -> None:
        self.base = endpoint
        self.headers = {"OpenStack-API-Version": microversion}
        if token is not None:
            self.headers["X-Auth-Token"] = token
        if service_token is not None:
            self.headers["X-Service-Token"] = service_token
        self.project_id = project_id
        self._client = httpx.Client(timeout=60)

    def request(self, method: str, path: str, body: Any = None) -> httpx.Response:
        return self._client.request(method, f"{self.base}{path}", json=body, headers=self.headers)

    def ok(self, method: str, path: str, body: Any = None) -> Any:
        """The JSON answer of a request that must succeed (None for an empty one)."""
        answer = self.request(method, path, body)
        assert answer.is_success, (method, path, answer.status_code, answer.text)
        return answer.json() if answer.content else None

    def wait_for(self, path: str, key: str, status: str, timeout_s: float = 60) -> dict[str, Any]:
        """GET ``path`` until ``answer[key]["status"]`` is ``status``; fails on an error status."""
        deadline = time.monotonic() + timeout_s
        while True:
            shown: dict[str, Any] = self.ok("GET", path)[key]
            if shown["status"] == status:
                return shown
            assert not shown["status"].startswith("error"), shown
            assert time.monotonic() < deadline, f"{path} stayed {shown['status']}, not {status}"
            time.sleep(0.1)
