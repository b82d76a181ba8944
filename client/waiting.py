"""--wait: poll a volume or snapshot until it settles or is gone, with a spinner on a terminal.

The statuses here are the wire values of the Cinder API; the CLI imports nothing of the server.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

from client.http import ApiFault, ClientError, Session

POLL_INTERVAL_S = 0.5
SETTLED = frozenset({"available", "in-use"})
DELETE_FAILED = frozenset({"error_deleting"})
MOVING = frozenset({"maintenance", "retyping"})  # a volume being moved to another backend

Resource = dict[str, Any]


class WaitFailed(ClientError):
    pass


def is_error(status: str) -> bool:
    return status == "error" or status.startswith("error_")


class Spinner:
    """One self-rewriting stderr line (``| volume 1f2e...: creating (3s)``), only on a terminal."""

    FRAMES = "|/-\\"

    def __init__(self, label: str, *, stream: TextIO | None = None) -> None:
        self._label = label
        self._stream = stream or sys.stderr
        self._enabled = self._stream.isatty()
        self._frame = 0
        self._shown = False

    def show(self, status: str, elapsed_s: float) -> None:
        if not self._enabled:
            return
        frame = self.FRAMES[self._frame % len(self.FRAMES)]
        self._frame += 1
        self._stream.write(f"\r\033[K{frame} {self._label}: {status} ({elapsed_s:.0f}s)")
        self._stream.flush()
        self._shown = True

    def clear(self) -> None:
        if self._shown:
            self._stream.write("\r\033[K")
            self._stream.flush()


def _newest_message(session: Session, resource_id: str) -> str | None:
    """The user message the service left for this resource most recently, if the endpoint has any."""
    try:
        messages = session.get("/messages", params={"resource_uuid": resource_id}).get("messages", [])
    except ClientError:
        return None
    mine = [m for m in messages if m.get("resource_uuid") == resource_id]
    if not mine:
        return None
    newest = max(mine, key=lambda m: str(m.get("created_at") or ""))
    return str(newest.get("user_message") or newest.get("event_id") or "") or None


def _failure(session: Session, kind: str, resource: Resource) -> WaitFailed:
    resource_id = str(resource.get("id"))
    status = resource.get("status")
    reason = resource.get("status_reason") or _newest_message(session, resource_id)
    if reason:
        return WaitFailed(f"{kind} {resource_id} went to status '{status}': {reason}")
    return WaitFailed(f"{kind} {resource_id} went to status '{status}' and no reason was recorded; "
                      f"see `ember message list` and the ember-volume log.")


def _timed_out(kind: str, resource_id: str, status: str, timeout_s: float) -> WaitFailed:
    return WaitFailed(f"gave up after {timeout_s:g} s waiting for {kind} {resource_id}, still '{status}'. "
                      f"Follow it with `ember {kind} show {resource_id}`, or wait longer with --timeout.")


def _poll(session: Session, kind: str, resource_id: str, *, timeout_s: float,
          until: Callable[[Resource], bool]) -> Resource:
    """``GET /<kind>s/<id>`` until ``until`` holds (it may raise to stop); WaitFailed after ``timeout_s``."""
    spinner = Spinner(f"{kind} {resource_id}")
    started = time.monotonic()
    try:
        while True:
            params = {"progress": "true"} if kind == "backup" else None  # ember's field, sent when asked
            resource: Resource = session.get(f"/{kind}s/{resource_id}", params=params)[kind]
            if until(resource):
                return resource
            status = str(resource.get("status", ""))
            if kind == "backup" and status in ("creating", "restoring"):
                status += f" {resource.get('progress', 0)}%"  # a backup's progress, as the service reports it
            if kind == "volume" and resource.get("migration_status") and status in MOVING:
                status += f", migration {resource['migration_status']}"  # shown to admins only
            elapsed_s = time.monotonic() - started
            if elapsed_s >= timeout_s:
                raise _timed_out(kind, resource_id, status, timeout_s)
            spinner.show(status, elapsed_s)
            time.sleep(POLL_INTERVAL_S)
    finally:
        spinner.clear()


def wait_settled(session: Session, kind: str, resource_id: str, *, timeout_s: float,
                 ready: Callable[[Resource], bool] | None = None) -> Resource:
    """Poll ``GET /<kind>s/<id>`` until ``ready`` (default: a settled status); raise on an error status."""
    is_ready = ready or (lambda resource: resource.get("status") in SETTLED)

    def settled(resource: Resource) -> bool:
        if is_error(str(resource.get("status", ""))):
            raise _failure(session, kind, resource)
        return is_ready(resource)

    return _poll(session, kind, resource_id, timeout_s=timeout_s, until=settled)


def wait_moved(session: Session, volume_id: str, *, timeout_s: float,
               moved: Callable[[Resource], bool]) -> Resource:
    """Poll a volume being migrated (or retyped) until it is at rest again; WaitFailed unless ``moved``
    (its migration_status error, or a type it did not take, says the move failed: the volume stayed)."""

    def at_rest(resource: Resource) -> bool:
        status = str(resource.get("status", ""))
        if is_error(status):
            raise _failure(session, "volume", resource)
        if status in MOVING or status not in SETTLED:
            return False
        if resource.get("migration_status") == "error" or not moved(resource):
            reason = _newest_message(session, volume_id) or "see `ember message list` and the ember-volume log"
            raise WaitFailed(f"volume {volume_id} was not moved; it stays where it was: {reason}")
        return True

    return _poll(session, "volume", volume_id, timeout_s=timeout_s, until=at_rest)


def wait_deleted(session: Session, kind: str, resource_id: str, *, timeout_s: float) -> None:
    """Poll ``GET /<kind>s/<id>`` until it answers 404; raise if the delete itself failed."""

    def raise_if_failed(resource: Resource) -> bool:
        if str(resource.get("status", "")) in DELETE_FAILED:
            raise _failure(session, kind, resource)
        return False  # only the 404 below ends the wait

    try:
        _poll(session, kind, resource_id, timeout_s=timeout_s, until=raise_if_failed)
    except ApiFault as fault:
        if fault.code != 404:
            raise
