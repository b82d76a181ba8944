"""The log set-up keeps secrets out of every line: messages, their arguments, tracebacks, uncaught errors."""

from __future__ import annotations

import io
import logging
import sys
import threading
from collections.abc import Iterator

import pytest

from common import log

SECRET = "Sx9-kT2_pQ7vW4zR"
AUTH = f"CHAP 0123456789abcdef0123 {SECRET}"


@pytest.fixture
def output(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    """What ember's log handler writes, with log.setup as every service runs it."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, sys.excepthook, threading.excepthook)
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    log.setup("ember-test", "host-1")
    yield stream
    root.handlers[:], level, sys.excepthook, threading.excepthook = saved
    root.setLevel(level)


def test_a_secret_in_the_message_is_masked(output: io.StringIO) -> None:
    logging.getLogger("t").warning(f"export of volume v1 is {AUTH}")
    line = output.getvalue()
    assert SECRET not in line and "CHAP 0123456789abcdef0123 ***" in line
    assert "ember-test@host-1" in line  # the context filter still runs


@pytest.mark.parametrize("args", [
    (AUTH,),
    ({"driver_volume_type": "iscsi", "data": {"auth_method": "CHAP", "auth_password": SECRET}},),
    (["tgtadm", "--mode", "account", "--op", "new", "--user", "u", "--password", SECRET],),
    ("tgtadm --lld iscsi --mode account --op new --user u --password " + SECRET,),
    ('{"connection_info": {"data": {"discovery_auth_password": "' + SECRET + '"}}}',),
])
def test_a_secret_in_the_arguments_is_masked(output: io.StringIO, args: tuple[object, ...]) -> None:
    logging.getLogger("t").info("answer: %s", *args)
    line = output.getvalue()
    assert SECRET not in line and "***" in line


def test_a_secret_in_a_traceback_is_masked(output: io.StringIO) -> None:
    try:
        raise RuntimeError(f"tgtadm failed for provider_auth={AUTH!r}")
    except RuntimeError:
        logging.getLogger("t").exception("export failed")
    text = output.getvalue()
    assert "Traceback" in text and "RuntimeError" in text and SECRET not in text


def test_a_secret_in_an_exceptions_cause_is_masked(output: io.StringIO) -> None:
    try:
        try:
            raise ValueError({"auth_password": SECRET})
        except ValueError as error:
            raise RuntimeError("connect failed") from error
    except RuntimeError:
        logging.getLogger("t").exception("attach failed")
    text = output.getvalue()
    assert "ValueError" in text and SECRET not in text


def test_an_uncaught_exception_in_a_thread_is_logged_masked(output: io.StringIO) -> None:
    def boom() -> None:
        raise RuntimeError(f"lost {AUTH}")

    thread = threading.Thread(target=boom, name="worker-1")
    thread.start()
    thread.join()
    text = output.getvalue()
    assert "uncaught exception in thread worker-1" in text and "RuntimeError" in text and SECRET not in text


def test_arguments_that_do_not_fit_are_dropped_not_printed(output: io.StringIO) -> None:
    logging.getLogger("t").info("two: %s %s", SECRET)  # noqa: PLE1206 - the mistake under test
    text = output.getvalue()
    assert SECRET not in text and "arguments dropped" in text


def test_prose_about_chap_is_left_alone(output: io.StringIO) -> None:
    logging.getLogger("t").info("made the CHAP account of the target")
    assert "made the CHAP account of the target" in output.getvalue()
