"""The command runner drivers use for storage tools: no shell, a timeout, and failures as driver errors.

A failed command raises :class:`DriverError` naming the command, its exit code and the end of
its stderr; "No space left on device" becomes :class:`NotEnoughSpace`, a lock held by another
process :class:`ResourceBusy`, and a command stopped by a signal :class:`Interrupted` (one that
crashed, or used up its CPU time limit, is a plain failure). Commands
run in a session of their own, so that a signal to the service's process group (a stop) does
not cut a storage command short.

A :class:`Runner` adds the root helper (``sudo``, say) in front of privileged commands, and
keeps secrets (CHAP passwords) out of every log line and error message.
"""

from __future__ import annotations

import logging
import os
import re
import shlex
import signal
import subprocess
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress

from common.redact import mask
from drivers import tools
from drivers.errors import (
    BackendUnavailable,
    DriverError,
    Interrupted,
    MissingTool,
    NotEnoughSpace,
    ResourceBusy,
)

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 600.0
_STDERR_TAIL_CHARS = 2000
_ENOSPC_TEXTS = ("No space left on device", "Disk quota exceeded")
# qemu-img on an image another process has open (a stopped old active, say)
_LOCKED = re.compile(r'Failed to get "\w+" lock|Is another process using the image')


# a command killed by one of these was stopped (a service stop, kill -9), not failed on its merits;
# any other signal (SIGABRT when an allocation fails under a limit, SIGSEGV) is a failure
_STOPPING_SIGNALS = frozenset({signal.SIGKILL, signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT})

class Runner:
    """Runs storage commands for one backend: ``root=True`` ones behind ``root_helper`` (none: as is).

    Inside ``holding(fd)``, every command this thread runs inherits ``fd`` (an open lock file):
    a command that outlives a killed service keeps the lock until it ends, so the successor
    replaying the same operation waits for it instead of racing it.
    """

    def __init__(self, root_helper: str = "") -> None:
        self._root_prefix = shlex.split(root_helper)
        self._held = threading.local()

    @contextmanager
    def holding(self, fd: int) -> Iterator[None]:
        previous: tuple[int, ...] = getattr(self._held, "fds", ())
        self._held.fds = (*previous, fd)
        try:
            yield
        finally:
            self._held.fds = previous

    def require(self, *names: str, root: bool = False) -> None:
        """Raise :class:`MissingTool` naming those of ``names`` that are not installed; ``root=True``:
        tools run behind the root helper, which also finds them in the sbin folders."""
        helper = self._root_prefix[:1] if root else []
        tools.require([*helper, *names], sbin=root and bool(self._root_prefix))

    def run(self, argv: Sequence[str], *, root: bool = False, secrets: Iterable[str] = (),
            timeout_s: float | None = DEFAULT_TIMEOUT_S, ok_codes: Iterable[int] = (0,)) -> subprocess.CompletedProcess[str]:
        """``timeout_s=None``: no limit, for copies and zeroing, whose time grows with the volume."""
        prefix = self._root_prefix if root else []
        return run([*prefix, *argv], secrets=secrets, timeout_s=timeout_s, ok_codes=ok_codes,
                   pass_fds=getattr(self._held, "fds", ()))


def run(argv: Sequence[str], *, timeout_s: float | None = DEFAULT_TIMEOUT_S, secrets: Iterable[str] = (),
        ok_codes: Iterable[int] = (0,), pass_fds: Sequence[int] = ()) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` and return its result; raise a driver error if it cannot start, times out or fails.

    A missing executable raises :class:`MissingTool`. ``secrets`` never appear in what
    is logged or raised; an exit code in ``ok_codes`` counts as success. A command that times
    out is killed with its whole process group (a root helper's child included).
    """
    args = [str(a) for a in argv]
    hidden = tuple(secrets)
    command = mask(shlex.join(args), hidden)
    log.debug("running %s", command)
    # The C locale keeps the tools' messages in English, which is what _ENOSPC_TEXTS matches.
    env = {**os.environ, "LC_ALL": "C"}
    try:
        process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True, errors="replace", env=env, start_new_session=True,
                                   pass_fds=tuple(pass_fds))
    except FileNotFoundError:
        raise MissingTool([args[0]], [tools.package_of(args[0])]) from None
    except PermissionError as exc:
        raise BackendUnavailable(f"cannot run {command}: {exc.strerror or exc}") from None
    try:
        stdout, stderr = process.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        # "from None": the expired exception's text holds the unmasked command line
        raise DriverError(f"{command} did not finish within {timeout_s:g} s") from None
    result = subprocess.CompletedProcess(args, process.returncode, stdout, stderr)
    if result.returncode not in set(ok_codes):
        tail = result.stderr.strip()[-_STDERR_TAIL_CHARS:] or result.stdout.strip()[-_STDERR_TAIL_CHARS:]
        message = f"{command} failed (rc={result.returncode}): {mask(tail, hidden)}"
        if any(text in result.stderr for text in _ENOSPC_TEXTS):
            raise NotEnoughSpace(message)
        if result.returncode == -signal.SIGXCPU:
            raise DriverError(f"{command} used up its CPU time limit")
        if result.returncode < 0 and -result.returncode in _STOPPING_SIGNALS:
            raise Interrupted(message)
        if _LOCKED.search(result.stderr):
            raise ResourceBusy(message)
        raise DriverError(message)
    return result


def which(tool: str) -> str:
    """The full path of ``tool`` on PATH; raise :class:`MissingTool` (naming its package) if it is not installed."""
    path = tools.find(tool)
    if path is None:
        raise MissingTool([tool], [tools.package_of(tool)])
    return path
