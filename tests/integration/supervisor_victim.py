"""Test-only launcher: the real ember-volume, whose HA supervisor thread dies of an unexpected error on SIGUSR1.

``test_volume_supervisor.py`` starts it in place of ember-volume. The error is raised inside the
supervisor's thread with ``PyThreadState_SetAsyncExc``, the way a bug there would surface;
production code has no hook for it.
"""

from __future__ import annotations

import ctypes
import signal
import sys
import threading
from types import FrameType

from launch import services


class InjectedFailure(Exception):
    """What the supervisor thread dies of."""


def _kill_supervisors(signum: int, frame: FrameType | None) -> None:
    for thread in threading.enumerate():
        if thread.name.startswith("ha:") and thread.ident is not None:
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread.ident),
                                                       ctypes.py_object(InjectedFailure))


if __name__ == "__main__":
    signal.signal(signal.SIGUSR1, _kill_supervisors)
    sys.exit(services.volume(sys.argv[1:]))
