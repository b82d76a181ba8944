"""Errors a driver may raise; nothing else leaves a driver.

DriverError                  an operation failed on the storage
├── BackendUnavailable       the storage cannot be reached or is not set up
├── NotEnoughSpace           the storage has no room for the request
└── SourceNotFound           a snapshot or source volume to copy from is missing
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
