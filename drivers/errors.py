"""Errors a driver may raise; nothing else leaves a driver.

DriverError                  an operation failed on the storage
├── BackendUnavailable       the storage cannot be reached or is not set up
│   └── MissingTool          a tool the driver runs is not installed (names its Debian package)
├── NotEnoughSpace           the storage has no room for the request
├── SourceNotFound           a snapshot or source volume to copy from is missing
├── InvalidConnector         a host's connector lacks what this storage needs (an iSCSI initiator)
├── ManageRefInvalid         a manage reference names nothing the storage can hand over (missing, in use)
└── TryAgain                 the operation did not fail on its merits: run it again later
    ├── Interrupted          its command was killed by a signal before it finished
    └── ResourceBusy         another process holds the resource (a lock), e.g. a stopped service
"""

from __future__ import annotations

from collections.abc import Sequence


class DriverError(Exception):
    pass


class BackendUnavailable(DriverError):
    pass


class MissingTool(BackendUnavailable):
    """``tools`` are not installed; ``packages``: the Debian packages that install them."""

    def __init__(self, tools: Sequence[str], packages: Sequence[str | None]) -> None:
        self.tools = tuple(tools)
        self.packages = tuple(dict.fromkeys(p for p in packages if p))
        shown: dict[str, str] = {}  # one tool per package is enough to say what to install
        for tool, package in zip(tools, packages, strict=True):
            shown.setdefault(package or tool, tool)
        names = ", ".join(shown.values())
        verb = "is" if len(shown) == 1 else "are"
        if self.packages:
            plural = "s" if len(self.packages) > 1 else ""
            where = (f"Debian package{plural}: {', '.join(self.packages)}; "
                     f"apt-get install {' '.join(self.packages)}")
        else:
            where = "not found on PATH"
        super().__init__(f"{names} {verb} not installed ({where})")


class NotEnoughSpace(DriverError):
    pass


class SourceNotFound(DriverError):
    pass


class InvalidConnector(DriverError):
    pass


class TryAgain(DriverError):
    pass


class Interrupted(TryAgain):
    pass


class ResourceBusy(TryAgain):
    pass


class ManageRefInvalid(DriverError):
    """A manage request's reference names nothing this storage can take: missing, in use, or ember's own."""
