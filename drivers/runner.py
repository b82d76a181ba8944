"""The command runner drivers use for storage tools: no shell, a timeout, and failures as driver errors.

A failed command raises :class:`DriverError` naming the command, its exit code and the end of
its stderr; "No space left on device" becomes :class:`NotEnoughSpace`, a lock held by another
process :class:`ResourceBusy`, and a command killed by a signal :class:`Interrupted`. Commands
run in a session of their own, so that a signal to the service's process group (a stop) does
not cut a storage command short.
"""

from __future__ import annotations

import logging
import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Sequence

from drivers.errors import BackendUnavailable, DriverError, Interrupted, NotEnoughSpace, ResourceBusy

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 600.0
_STDERR_TAIL_CHARS = 2000
_ENOSPC_TEXTS = ("No space left on device", "Disk quota exceeded")
# qemu-img on an image another process has open (a stopped old active, say)
_LOCKED = re.compile(r'Failed to get "\w+" lock|Is another process using the image')


def run(argv: Sequence[str], *, timeout_s: float = DEFAULT_TIMEOUT_S) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` and return its result; raise a driver error if it cannot start, times out or fails.

    A missing executable raises :class:`BackendUnavailable`.
    """
    args = [str(a) for a in argv]
    command = shlex.join(args)
    log.debug("running %s", command)
    # The C locale keeps the tools' messages in English, which is what _ENOSPC_TEXTS matches.
    env = {**os.environ, "LC_ALL": "C"}
    try:
        result = subprocess.run(args, capture_output=True, text=True, errors="replace", env=env,
                                timeout=timeout_s, check=False, stdin=subprocess.DEVNULL, start_new_session=True)
    except FileNotFoundError as exc:
        raise BackendUnavailable(f"cannot run {command}: {args[0]} is not installed") from exc
    except PermissionError as exc:
        raise BackendUnavailable(f"cannot run {command}: {exc}") from exc
    except subprocess.TimeoutExpired as exc:
        raise DriverError(f"{command} did not finish within {timeout_s:g} s") from exc
    if result.returncode != 0:
        tail = result.stderr.strip()[-_STDERR_TAIL_CHARS:] or result.stdout.strip()[-_STDERR_TAIL_CHARS:]
        message = f"{command} failed (rc={result.returncode}): {tail}"
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
