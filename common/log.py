"""Logging set-up: every record carries the request id, the service and the host."""

from __future__ import annotations

import logging
import sys

from common.context import current_request_id


class _ContextFilter(logging.Filter):
    def __init__(self, service: str, host: str) -> None:
        super().__init__()
        self._service = service
        self._host = host

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        record.service = self._service
        record.host = self._host
        return True


def setup(service: str, host: str, *, debug: bool = False) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_ContextFilter(service, host))
    handler.setFormatter(logging.Formatter(
        "%(asctime)s %(levelname)s %(service)s@%(host)s [%(request_id)s] %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    for noisy in ("oslo_messaging", "amqp", "kombu", "uvicorn.access", "stevedore", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
