"""The backup kind as the operation skeleton reads it: its table, its landing, how recovery finds it.

A backup's landing also lands the volume its operation holds (``db.Effects.volume_edges``): done gives
the volume back (settled from its attachments: in-use or available, its status before), a failed backup
gives it back too, a failed restore leaves the target error_restoring.
"""

from __future__ import annotations

from db import api as db
from operations.kinds import Kind
from volume.connections import SETTLE_RULE
from volume.states.backups import (
    BACKUP_RECOVERY,
    BACKUP_VOLUME_DONE,
    BACKUP_VOLUME_FAIL,
    backup_edge,
    backup_recovery_of,
    plain_edges,
)

BACKUP = Kind(
    name="backup", get=db.backup_get, edge=backup_edge, recovery_of=backup_recovery_of,
    transient=frozenset(str(s) for s in BACKUP_RECOVERY), list_stale=db.backup_list_stale,
    done=db.Effects(values={"status_reason": None, "restore_volume_id": None, "temp_snapshot_id": None},
                    volume_edges=plain_edges(BACKUP_VOLUME_DONE), settle=SETTLE_RULE),
    fail=db.Effects(values={"restore_volume_id": None, "temp_snapshot_id": None},
                    volume_edges=plain_edges(BACKUP_VOLUME_FAIL), settle=SETTLE_RULE),
    destroyed_by=frozenset({"delete.done"}))

KINDS = {"backup": BACKUP}
