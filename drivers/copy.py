"""Copying a volume's bytes from one backend's storage to another's, and checking that they match.

A migration (``volume/migration.py``) copies what the guest sees of the source (an LV's device, a
raw file, the top of a qcow2 chain) into the target the destination's driver made, with qemu-img,
then compares the two byte for byte. The copy is the service's child and dies with it (a kill -9
of the service must not leave a writer behind the successor, which removes the half-written target).
"""

from __future__ import annotations

import ctypes
import logging
import signal
import subprocess
from collections.abc import Sequence

from drivers import runner
from drivers.base import DataLocation
from drivers.errors import DriverError, Interrupted

log = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1
_STDERR_TAIL_CHARS = 2000


def copy_volume(source: DataLocation, target: DataLocation, *, bps_limit: int = 0) -> None:
    """Write what the guest sees of ``source`` into the existing ``target``; ``bps_limit`` bytes/s (0: none)."""
    _run(["convert", "-n", "-f", source.format, "-O", target.format,
          *(["-r", str(bps_limit)] if bps_limit > 0 else []), source.location, target.location])


def same_bytes(source: DataLocation, target: DataLocation) -> bool:
    """Whether the guest reads the same bytes from both (qemu-img compare: 0 same, 1 differ)."""
    return _run(["compare", "-f", source.format, "-F", target.format, source.location, target.location],
                ok_codes=(0, 1)) == 0


def _die_with_parent() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _run(args: Sequence[str], *, ok_codes: Sequence[int] = (0,)) -> int:
    argv = [runner.which("qemu-img"), *args]
    log.debug("running %s", " ".join(argv))
    with subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          text=True, errors="replace", env={"LC_ALL": "C", "PATH": "/usr/bin:/bin"},
                          preexec_fn=_die_with_parent) as process:  # noqa: PLW1509 - prctl only, no locks taken
        _, stderr = process.communicate()
    if process.returncode in ok_codes:
        return process.returncode
    message = f"qemu-img {args[0]} failed (rc={process.returncode}): {stderr.strip()[-_STDERR_TAIL_CHARS:]}"
    if process.returncode < 0:
        raise Interrupted(message)
    raise DriverError(message)
