"""Errors a driver may raise; nothing else leaves a driver.

DriverError                  an operation failed on the storage
├── BackendUnavailable       the storage cannot be reached or is not set up
├── NotEnoughSpace           the storage has no room for the request
├── SourceNotFound           a snapshot or source volume to copy from is missing
├── InvalidConnector         a host's connector lacks what this storage needs (an iSCSI initiator)
└── TryAgain                 the operation did not fail on its merits: run it again later
    ├── Interrupted          its command was killed by a signal before it finished
    └── ResourceBusy         another process holds the resource (a lock), e.g. a stopped service
"""

from __future__ import annotations


class DriverError(Exception):
    pass


class BackendUnavailable(DriverError):
    pass


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
