"""Logging set-up: every record carries the request id, the service and the host, and no secret.

``setup`` installs, on the one handler every logger reaches, a filter that adds the context and
one that redacts secrets (``common.redact``) from the message, its arguments and its traceback;
exceptions nobody caught (in the main thread or any other) go through the same handler.
"""

from __future__ import annotations

import logging
import sys
import threading
from types import TracebackType

from common.context import current_request_id
from common.redact import redact


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


class RedactFilter(logging.Filter):
    """Redacts the record in place: its message is formatted here, its traceback rendered here."""

    _render = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - arguments that do not fit: drop them rather than print them raw
            message = f"{record.msg} (arguments dropped: they did not fit the message)"
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._render.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def setup(service: str, host: str, *, debug: bool = False) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_ContextFilter(service, host))
    handler.addFilter(RedactFilter())
    handler.setFormatter(logging.Formatter(
        "%(asctime)s %(levelname)s %(service)s@%(host)s [%(request_id)s] %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    for noisy in ("oslo_messaging", "amqp", "kombu", "uvicorn.access", "stevedore", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    sys.excepthook = _log_uncaught
    threading.excepthook = _log_uncaught_in_thread


def _log_uncaught(kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
    logging.getLogger("uncaught").critical("uncaught exception", exc_info=(kind, error, tb))


def _log_uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit or args.exc_value is None:
        return
    name = args.thread.name if args.thread is not None else "?"
    logging.getLogger("uncaught").error("uncaught exception in thread %s", name,
                                        exc_info=(args.exc_type, args.exc_value, args.exc_traceback))
