"""Errors of the data layer.

DbError
├── NotFound            no such row (or not visible to the caller's project)
├── Conflict            a compare-and-swap found the row in another state
│   └── Duplicate       a unique name or key is taken
└── QuotaExceeded       a reservation would pass the project's limit
"""

from __future__ import annotations


class DbError(Exception):
    pass


class NotFound(DbError):
    def __init__(self, resource: str, resource_id: str) -> None:
        super().__init__(f"{resource} {resource_id} could not be found.")
        self.resource = resource
        self.resource_id = resource_id


class Conflict(DbError):
    pass


class Duplicate(Conflict):
    pass


class QuotaExceeded(DbError):
    def __init__(self, project_id: str, resource: str, requested: int, in_use: int, limit: int) -> None:
        super().__init__(
            f"Requested {resource} ({requested}) exceeds the quota of project {project_id}: "
            f"{in_use} of {limit} already in use.")
        self.resource = resource
        self.requested = requested
        self.in_use = in_use
        self.limit = limit
