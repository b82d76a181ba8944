"""A lean keep-alive Cinder v3 client for the benchmarks (one per thread; stdlib http.client).

It talks REST only, like ``client/``: statuses are the wire strings the API returns.
"""

from __future__ import annotations

import http.client
import json
import time
from typing import Any
from urllib.parse import urlsplit

AVAILABLE = "available"
_RETRYABLE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError, http.client.CannotSendRequest)


class BenchError(Exception):
    """A volume went to an error status, a wait timed out, or the API answered unexpectedly."""


def _decoded(data: bytes) -> Any:
    """The JSON body, or its text when the server answered with something else (an HTML error page)."""
    if not data:
        return None
    try:
        return json.loads(data)
    except ValueError:
        return data.decode(errors="replace")


class Api:
    """One keep-alive connection to ``endpoint`` (``http://host:port/v3``); not thread-safe."""

    def __init__(self, endpoint: str, *, token: str, timeout_s: float = 30, version: str | None = None) -> None:
        parts = urlsplit(endpoint)
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port or 80
        self.prefix = parts.path.rstrip("/")
        self._headers = {"X-Auth-Token": token, "Accept": "application/json",
                         "Content-Type": "application/json"}
        if version is not None:
            self._headers["OpenStack-API-Version"] = f"volume {version}"
        self._timeout_s = timeout_s
        self._conn: http.client.HTTPConnection | None = None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        """Send one request; a keep-alive connection the server dropped while idle is reopened once."""
        payload = json.dumps(body).encode() if body is not None else None
        for attempt in (1, 2):
            reused = self._conn is not None
            if self._conn is None:
                self._conn = http.client.HTTPConnection(self._host, self._port, timeout=self._timeout_s)
            try:
                self._conn.request(method, self.prefix + path, body=payload, headers=self._headers)
                response = self._conn.getresponse()
                data = response.read()
            except _RETRYABLE:
                self.close()
                if reused and attempt == 1:
                    continue
                raise
            if response.getheader("connection", "").lower() == "close":
                self.close()
            return response.status, _decoded(data)
        raise AssertionError("unreachable")

    def create_volume(self, *, size_gb: int = 1) -> str:
        status, body = self.request("POST", "/volumes", {"volume": {"size": size_gb}})
        if status != 202:
            raise BenchError(f"create answered {status}: {body}")
        return str(body["volume"]["id"])

    def volume_status(self, volume_id: str) -> str | None:
        """The volume's status, or None once it is gone (404)."""
        status, body = self.request("GET", f"/volumes/{volume_id}")
        if status == 404:
            return None
        if status != 200:
            raise BenchError(f"get {volume_id} answered {status}: {body}")
        return str(body["volume"]["status"])

    def delete_volume(self, volume_id: str) -> None:
        status, body = self.request("DELETE", f"/volumes/{volume_id}")
        if status not in (202, 404):
            raise BenchError(f"delete {volume_id} answered {status}: {body}")

    def wait_available(self, volume_id: str, *, poll_s: float, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while True:
            status = self.volume_status(volume_id)
            if status == AVAILABLE:
                return
            if status is None or status.startswith("error"):
                raise BenchError(f"volume {volume_id} went to {status}")
            if time.monotonic() > deadline:
                raise BenchError(f"volume {volume_id} still {status} after {timeout_s:.0f} s")
            time.sleep(poll_s)

    def wait_gone(self, volume_id: str, *, poll_s: float, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while True:
            status = self.volume_status(volume_id)
            if status is None:
                return
            if status.startswith("error"):
                raise BenchError(f"volume {volume_id} went to {status} while deleting")
            if time.monotonic() > deadline:
                raise BenchError(f"volume {volume_id} still {status} {timeout_s:.0f} s after delete")
            time.sleep(poll_s)
