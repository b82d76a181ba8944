"""The state machines of the resources ember's services work on: tables, no I/O.

No other module writes a status literal. One module per resource kind (``volumes``, ``snapshots``,
``attachments``, ``backups``, ``groups``) holds its statuses, its edges (event -> the statuses it may
start from, the status it lands in), the operations a service runs on it and what recovery does with
each transient status. Here: every operation the volume service runs, and recovery's lookup by kind.
"""

from __future__ import annotations

from collections.abc import Callable

from operations.operation import Operation, Recovery
from volume.states.attachments import ATTACHMENT_OPERATIONS, attachment_recovery_of
from volume.states.groups import GROUP_SNAPSHOT_OPERATIONS, group_snapshot_recovery_of
from volume.states.snapshots import SNAPSHOT_OPERATIONS, snapshot_recovery_of
from volume.states.volumes import VOLUME_OPERATIONS, volume_recovery_of

# Every operation ember-volume runs, by (resource, name).
OPERATIONS: dict[tuple[str, str], Operation] = {
    **VOLUME_OPERATIONS, **SNAPSHOT_OPERATIONS, **ATTACHMENT_OPERATIONS, **GROUP_SNAPSHOT_OPERATIONS}

_RECOVERY_OF: dict[str, Callable[[str], tuple[Operation, Recovery]]] = {
    "volume": volume_recovery_of, "snapshot": snapshot_recovery_of, "attachment": attachment_recovery_of,
    "group_snapshot": group_snapshot_recovery_of}


def recovery_of(resource: str, status: str) -> tuple[Operation, Recovery]:
    """The operation a transient ``status`` of ``resource`` belongs to, and what recovery does with it."""
    return _RECOVERY_OF[resource](status)
