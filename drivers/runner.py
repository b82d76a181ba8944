"""The command runner drivers use for storage tools: no shell, a timeout, and failures as driver errors.

A failed command raises :class:`DriverError` naming the command, its exit code and the end of
its stderr; "No space left on device" becomes :class:`NotEnoughSpace`, a lock held by another
process :class:`ResourceBusy`, and a command killed by a signal :class:`Interrupted`. Commands
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
import shutil
import subprocess
from collections.abc import Iterable, Sequence

from drivers.errors import BackendUnavailable, DriverError, Interrupted, NotEnoughSpace, ResourceBusy

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 600.0
_STDERR_TAIL_CHARS = 2000
_ENOSPC_TEXTS = ("No space left on device", "Disk quota exceeded")
# qemu-img on an image another process has open (a stopped old active, say)
_LOCKED = re.compile(r'Failed to get "\w+" lock|Is another process using the image')


_MASK = "***"


def mask(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every one of ``secrets`` replaced by ***."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, _MASK)
    return text


class Runner:
    """Runs storage commands for one backend: ``root=True`` ones behind ``root_helper`` (none: as is)."""

    def __init__(self, root_helper: str = "", *, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self._root_prefix = shlex.split(root_helper)
        self._timeout_s = timeout_s

    def run(self, argv: Sequence[str], *, root: bool = False, secrets: Iterable[str] = (),
            timeout_s: float | None = None, ok_codes: Iterable[int] = (0,)) -> subprocess.CompletedProcess[str]:
        prefix = self._root_prefix if root else []
        return run([*prefix, *argv], secrets=secrets, timeout_s=timeout_s or self._timeout_s, ok_codes=ok_codes)


def run(argv: Sequence[str], *, timeout_s: float = DEFAULT_TIMEOUT_S, secrets: Iterable[str] = (),
        ok_codes: Iterable[int] = (0,)) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` and return its result; raise a driver error if it cannot start, times out or fails.

    A missing executable raises :class:`BackendUnavailable`. ``secrets`` never appear in what
    is logged or raised; an exit code in ``ok_codes`` counts as success.
    """
    args = [str(a) for a in argv]
    hidden = tuple(secrets)
    command = mask(shlex.join(args), hidden)
    log.debug("running %s", command)
    # The C locale keeps the tools' messages in English, which is what _ENOSPC_TEXTS matches.
    env = {**os.environ, "LC_ALL": "C"}
    try:
        result = subprocess.run(args, capture_output=True, text=True, errors="replace", env=env,
                                timeout=timeout_s, check=False, stdin=subprocess.DEVNULL, start_new_session=True)
    except FileNotFoundError as exc:
        raise BackendUnavailable(f"cannot run {command}: {args[0]} is not installed") from exc
    except PermissionError as exc:
        raise BackendUnavailable(f"cannot run {command}: {exc.strerror or exc}") from exc
    except subprocess.TimeoutExpired as exc:
        raise DriverError(f"{command} did not finish within {timeout_s:g} s") from exc
    if result.returncode not in set(ok_codes):
        tail = result.stderr.strip()[-_STDERR_TAIL_CHARS:] or result.stdout.strip()[-_STDERR_TAIL_CHARS:]
        message = f"{command} failed (rc={result.returncode}): {mask(tail, hidden)}"
        if any(text in result.stderr for text in _ENOSPC_TEXTS):
            raise NotEnoughSpace(message)
        if result.returncode < 0:
            raise Interrupted(message)
        if _LOCKED.search(result.stderr):
            raise ResourceBusy(message)
        raise DriverError(message)
    return result


def which(tool: str) -> str:
    """The full path of ``tool`` on PATH; raise :class:`BackendUnavailable` if it is not installed."""
    path = shutil.which(tool)
    if path is None:
        raise BackendUnavailable(f"{tool} is not installed (not found on PATH)")
    return path
