"""The ember CLI's HTTP session: noauth headers, project-scoped URLs and Cinder fault parsing.

Tests replace ``transport_factory`` with one that returns an ``httpx.MockTransport``.

ClientError              anything the CLI prints as ``ERROR: ...`` and exits 1 for
├── ApiFault             the endpoint answered with an error status
└── EndpointUnreachable  no answer at all (refused, timed out, bad address)
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

import httpx

API_VERSION = "volume 3.71"
USER_AGENT = "ember-cli/0.1"

log = logging.getLogger(__name__)


def _default_transport() -> httpx.BaseTransport | None:
    return None


transport_factory: Callable[[], httpx.BaseTransport | None] = _default_transport


class ClientError(Exception):
    pass


class ApiFault(ClientError):
    def __init__(self, code: int, message: str, *, request_id: str | None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.request_id = request_id

    def __str__(self) -> str:
        where = f"HTTP {self.code}, request id {self.request_id}" if self.request_id else f"HTTP {self.code}"
        return f"{self.message} ({where})"


class EndpointUnreachable(ClientError):
    pass


def _fault_message(response: httpx.Response) -> str:
    """The message of a Cinder fault body ``{"<kind>": {"code": N, "message": "..."}}``."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and len(body) == 1:
        fault = next(iter(body.values()))
        if isinstance(fault, dict) and fault.get("message"):
            return str(fault["message"])
    text = response.text.strip()
    if text and len(text) < 300 and not text.startswith("<"):
        return text
    return response.reason_phrase or "the endpoint gave no reason"


class Session:
    """Requests against ``<endpoint>/<project>``, each sending the noauth token and microversion."""

    def __init__(self, endpoint: str, *, project_id: str, user_id: str, timeout_s: float = 60.0) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.project_id = project_id
        self._timeout_s = timeout_s
        self._client = httpx.Client(
            base_url=f"{self.endpoint}/{quote(project_id, safe='')}",
            transport=transport_factory(),
            timeout=timeout_s,
            headers={
                "X-Auth-Token": f"{user_id}:{project_id}",
                "OpenStack-API-Version": API_VERSION,
                "Accept": "application/json",
                "User-Agent": USER_AGENT,
            },
        )

    def close(self) -> None:
        self._client.close()

    def get(self, path: str, *, params: Mapping[str, str | int] | None = None) -> dict[str, Any]:
        return self._request("GET", path, params=params)

    def post(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        return self._request("POST", path, body=body)

    def put(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        return self._request("PUT", path, body=body)

    def delete(self, path: str) -> dict[str, Any]:
        return self._request("DELETE", path)

    def _request(self, method: str, path: str, *, params: Mapping[str, str | int] | None = None,
                 body: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Send one request; a 2xx answer's JSON object (``{}`` when empty), or raise ClientError."""
        log.debug("REQ %s %s%s params=%s body=%s", method, self._client.base_url, path.lstrip("/"),
                  dict(params or {}), body)
        try:
            response = self._client.request(method, path, params=params, json=body)
        except httpx.ConnectError as exc:
            raise EndpointUnreachable(
                f"cannot connect to the ember endpoint {self.endpoint} ({str(exc) or 'connection refused'}). "
                f"Start ember with `make run`, or point --os-endpoint (or EMBER_ENDPOINT) at a running "
                f"ember-api.") from exc
        except httpx.TimeoutException as exc:
            raise EndpointUnreachable(
                f"the ember endpoint {self.endpoint} did not answer within {self._timeout_s:g} s. "
                f"Check that ember-api is running and that --os-endpoint is right.") from exc
        except httpx.TransportError as exc:
            raise EndpointUnreachable(
                f"cannot talk to the ember endpoint {self.endpoint}: {exc}. Check --os-endpoint.") from exc
        request_id = response.headers.get("x-openstack-request-id")
        log.debug("RESP %s %s request-id=%s body=%s", response.status_code, response.reason_phrase,
                  request_id, response.text[:2000])
        if response.is_error:
            raise ApiFault(response.status_code, _fault_message(response), request_id=request_id)
        if not response.content:
            return {}
        try:
            data = response.json()
        except ValueError as exc:
            raise ApiFault(response.status_code,
                           f"the endpoint {self.endpoint} answered with something that is not JSON; "
                           f"check that --os-endpoint points at an ember (Cinder v3) API",
                           request_id=request_id) from exc
        return data if isinstance(data, dict) else {"value": data}
