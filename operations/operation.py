"""An operation as a service's state table declares it, and how recovery treats it: values, no imports of ours.

Kept apart from ``kinds`` so that a state table (imported by the api) pulls in nothing of the DB.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

Edge = tuple[frozenset[str], str]
# a driver call for one resource; what it returns is landed with the done edge
Work = Callable[[Any], Mapping[str, Any]]
# the key of a work's values that land on the resource's volume row instead (an attachment's landing
# records or clears the volume's export)
VOLUME_VALUES = "volume_values"


class OperationStopped(Exception):
    """Raised by a work function that must not run: the operation lands its fail edge."""


class Recovery(StrEnum):
    """What a successor does with an operation it finds unfinished (its service died)."""

    REDO = "redo"  # run it again: the driver call is idempotent (an existing volume, a missing file: success)
    FAIL = "fail"  # land its fail edge and leave the user a message saying why
    SETTLE = "settle"  # the volume's status follows its attachments: recompute it from them (``settled``)


@dataclass(frozen=True)
class Operation:
    """An operation a service runs: the status it runs in and the edges that land it."""

    resource: str       # the kind's name: "volume", "snapshot", "attachment"
    name: str
    working: str        # the status its *.begin edge left the resource in
    done: str
    fail: str
    recovery: Recovery
    # columns its fail landing also sets, as (name, value) pairs (a migration's migration_status: error)
    fail_values: tuple[tuple[str, Any], ...] = ()
