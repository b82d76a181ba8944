"""The metadata change a volume and a snapshot share: one compare-and-swap on the record's version.

Two concurrent merges never lose a key: the one that read a stale version tries again from the new
metadata (a few times, then it is a 400 like any lost swap). Neither can take the record past
max_metadata_items: each checks the metadata it swaps in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from api.request import ApiCall
from api.validation import check_metadata_size
from volume.errors import VolumeStateConflict

R = TypeVar("R")


def swap_metadata(call: ApiCall, resource: str, resource_id: str, *, get: Callable[[ApiCall, str], Any],
                  transition: Callable[..., R | None], statuses: frozenset[str],
                  change: Callable[[dict[str, str]], dict[str, str]],
                  attempts: int = 3) -> R:
    for _ in range(attempts):
        record = get(call, resource_id)
        changed = change(dict(record.metadata))
        check_metadata_size(changed, limit=call.settings.max_metadata_items, resource=resource)
        keep = (frozenset({record.status}), record.status)
        moved = transition(record.id, keep, expected_version=record.version, metadata=changed)
        if moved is not None:
            return moved
    raise VolumeStateConflict(resource, resource_id, "change its metadata", statuses)
