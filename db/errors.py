"""Errors of the data layer.

DbError
├── NotFound            no such row (or not visible to the caller's project)
├── Conflict            a compare-and-swap found the row in another state
│   ├── Duplicate       a unique name or key is taken
│   └── Busy            a live service holds a claim on the resource (tracked work)
├── ClaimLost           the claim a service landed with was taken away from it
├── Fenced              a volume-side write under an epoch a takeover has passed
├── QuotaExceeded       a reservation would pass the project's limit
└── SecretKeyError      the [keys] are unusable, or decrypt none of a stored secret
"""

from __future__ import annotations

from datetime import UTC, datetime


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


class Busy(Conflict):
    def __init__(self, resource: str, resource_id: str, *, operation: str, holder: str, backend_host: str,
                 started_at: datetime) -> None:
        since_s = (datetime.now(UTC).replace(tzinfo=None) - started_at).total_seconds()
        super().__init__(
            f"Invalid {resource}: {resource} {resource_id} is busy: the volume service {holder} of {backend_host} "
            f"has been running '{operation}' on it for {since_s:.0f} s. Wait for it to finish; if that service "
            f"is gone, its work is taken over once it shows as down (`ember-manage cleanup`, or POST "
            f"/v3/workers/cleanup, does it at once).")
        self.resource_id = resource_id
        self.operation = operation
        self.holder = holder


class ClaimLost(DbError):
    def __init__(self, resource: str, resource_id: str, operation: str) -> None:
        super().__init__(f"the claim on {resource} {resource_id} for '{operation}' was taken away; "
                         "its outcome is not landed")
        self.resource_id = resource_id


class Fenced(DbError):
    def __init__(self, backend_host: str, epoch: int) -> None:
        super().__init__(f"epoch {epoch} of backend {backend_host} is no longer current (another volume service "
                         "took over); the write changed nothing")
        self.backend_host = backend_host
        self.epoch = epoch


class QuotaExceeded(DbError):
    def __init__(self, project_id: str, resource: str, requested: int, in_use: int, limit: int) -> None:
        super().__init__(
            f"Requested {resource} ({requested}) exceeds the quota of project {project_id}: "
            f"{in_use} of {limit} already in use.")
        self.resource = resource
        self.requested = requested
        self.in_use = in_use
        self.limit = limit


class SecretKeyError(DbError):
    """Raised at start for keys that are no Fernet keys, and on reading a secret that no key decrypts."""
