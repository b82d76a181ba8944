"""Errors of volume and snapshot requests, and of the volume service's start.

VolumeError
├── VolumeStateConflict     the resource is not in a status the request accepts (or changed under it)
├── InvalidRequest          the request itself makes no sense for this resource (e.g. shrink)
└── StorageFailed           the storage refused what the request needed at once (a connection)
BackendCannotStart          a configured backend's driver cannot be set up (a missing tool, an unusable folder)
"""

from __future__ import annotations

from collections.abc import Iterable


class VolumeError(Exception):
    pass


class VolumeStateConflict(VolumeError):
    def __init__(self, resource: str, resource_id: str, action: str, accepted: Iterable[str],
                 current: str | None = None) -> None:
        accepted_text = ", ".join(sorted(accepted))
        if current is None or current in set(accepted):
            detail = "it was changed by another request at the same time; try again"
        else:
            detail = f"its current status is {current}"
        super().__init__(f"Invalid {resource}: {resource} {resource_id} status must be {accepted_text} "
                         f"to {action}, but {detail}.")
        self.resource_id = resource_id
        self.accepted = frozenset(accepted)
        self.current = current


class InvalidRequest(VolumeError):
    pass


class StorageFailed(VolumeError):
    pass


class BackendCannotStart(Exception):
    """Its text is the whole story for the operator: the process prints it as one line and exits."""

    def __init__(self, backend: str, reason: Exception) -> None:
        super().__init__(f"backend {backend} cannot start: {reason}")
        self.backend = backend
