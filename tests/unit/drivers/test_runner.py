"""The command runner: results, and failures as driver errors a volume service can report."""

from __future__ import annotations

import logging
import sys

import pytest

from drivers import runner
from drivers.errors import (
    BackendUnavailable,
    DriverError,
    Interrupted,
    NotEnoughSpace,
    ResourceBusy,
    TryAgain,
)


def test_returns_output_of_a_successful_command() -> None:
    result = runner.run([sys.executable, "-c", "print('hello')"])
    assert result.stdout.strip() == "hello"


def test_failure_names_command_rc_and_stderr() -> None:
    script = "import sys; sys.stderr.write('disk on fire'); sys.exit(3)"
    with pytest.raises(DriverError) as caught:
        runner.run([sys.executable, "-c", script])
    message = str(caught.value)
    assert "rc=3" in message and "disk on fire" in message and sys.executable in message


def test_out_of_space_becomes_not_enough_space() -> None:
    script = "import sys; sys.stderr.write('write failed: No space left on device'); sys.exit(1)"
    with pytest.raises(NotEnoughSpace):
        runner.run([sys.executable, "-c", script])


def test_missing_tool_is_backend_unavailable() -> None:
    with pytest.raises(BackendUnavailable, match="not installed"):
        runner.run(["ember-no-such-tool", "--version"])


def test_timeout_is_a_driver_error() -> None:
    with pytest.raises(DriverError, match="did not finish"):
        runner.run([sys.executable, "-c", "import time; time.sleep(5)"], timeout_s=0.2)


def test_no_shell_is_involved() -> None:
    result = runner.run([sys.executable, "-c", "import sys; print(sys.argv[1])", "$HOME; echo x"])
    assert result.stdout.strip() == "$HOME; echo x"


def test_which() -> None:
    assert runner.which("qemu-img").endswith("qemu-img")
    with pytest.raises(BackendUnavailable):
        runner.which("ember-no-such-tool")


def test_a_command_killed_by_a_signal_is_interrupted_not_failed() -> None:
    with pytest.raises(Interrupted):
        runner.run([sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGTERM)"])


def test_an_image_locked_by_another_process_is_busy() -> None:
    script = ("import sys; sys.stderr.write('qemu-img: Failed to get \"write\" lock\\nIs another process using "
              "the image [v.raw]?'); sys.exit(1)")
    with pytest.raises(ResourceBusy):
        runner.run([sys.executable, "-c", script])


def test_commands_run_in_a_session_of_their_own() -> None:
    result = runner.run([sys.executable, "-c", "import os; print(os.getsid(0) == os.getpid())"])
    assert result.stdout.strip() == "True"


def test_root_helper_goes_in_front_of_privileged_commands_only() -> None:
    # 'env NAME=value' stands in for sudo: a real prefix whose effect the command can see.
    helper = runner.Runner("env EMBER_AS_ROOT=yes")
    show = [sys.executable, "-c", "import os; print(os.environ.get('EMBER_AS_ROOT', 'no'))"]
    assert helper.run(show, root=True).stdout.strip() == "yes"
    assert helper.run(show).stdout.strip() == "no"


def test_secrets_never_reach_the_log_or_the_error(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="drivers.runner")
    script = "import sys; sys.stderr.write('bad password ' + sys.argv[1]); sys.exit(1)"
    with pytest.raises(DriverError) as caught:
        runner.run([sys.executable, "-c", script, "s3cr3t-chap"], secrets=["s3cr3t-chap"])
    assert "s3cr3t-chap" not in str(caught.value) and "***" in str(caught.value)
    assert caplog.records and all("s3cr3t-chap" not in r.getMessage() for r in caplog.records)


def test_ok_codes_accept_an_expected_exit_code() -> None:
    result = runner.run([sys.executable, "-c", "import sys; sys.exit(22)"], ok_codes=(0, 22))
    assert result.returncode == 22


def test_a_command_that_uses_up_its_cpu_limit_failed_and_is_not_tried_again() -> None:
    spin = ["prlimit", "--cpu=1:2", sys.executable, "-c", "while True: pass"]
    with pytest.raises(DriverError, match="CPU time limit") as caught:
        runner.run(spin, timeout_s=30)
    assert not isinstance(caught.value, TryAgain)


def test_a_command_that_crashed_failed_and_is_not_tried_again() -> None:
    with pytest.raises(DriverError, match="rc=-6") as caught:
        runner.run([sys.executable, "-c", "import os; os.abort()"])
    assert not isinstance(caught.value, TryAgain)
