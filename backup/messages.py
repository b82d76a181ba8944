"""What a project reads about a backup operation that failed: a user message (/v3/messages) about the
backup, in Cinder's shape (event ``VOLUME_BACKUP_<action>_<detail>``), and the same text as its status
reason. The engine's own words (an object name, an offset) stay in the service's log."""

from __future__ import annotations

from backup.engine.errors import (
    BackupCorrupt,
    BackupIncomplete,
    BackupInvalid,
    RestoreTargetTooSmall,
    StoreError,
    VolumeIOError,
)
from db import api as db
from operations.operation import Operation, OperationStopped

_ACTIONS = {"create": ("013", "create backup"), "restore": ("015", "restore backup"),
            "delete": ("014", "delete backup")}
_UNKNOWN = ("001", "An unknown error occurred.")
# the error's cause -> (detail id, detail text); the first class in the error's mro that is named wins
_DETAILS: dict[type[Exception], tuple[str, str]] = {
    BackupCorrupt: ("201", "The backup is corrupt (a chunk does not match its checksums); nothing was written."),
    BackupIncomplete: ("202", "The backup is incomplete (an object is missing or truncated); nothing was written."),
    BackupInvalid: ("203", "The backup's metadata document cannot be read; nothing was written."),
    RestoreTargetTooSmall: ("204", "The volume to restore into is smaller than the backup."),
    StoreError: ("205", "The backup store failed or cannot be reached."),
    VolumeIOError: ("206", "The volume's data could not be read or written."),
    OperationStopped: ("105", "The service running the operation stopped before it finished."),
}


def _detail(error: BaseException) -> tuple[str, str]:
    for cls in type(error).__mro__:
        if cls in _DETAILS:
            return _DETAILS[cls]
    cause = error.__cause__
    return _detail(cause) if cause is not None else _UNKNOWN


def _message(op: Operation, error: Exception) -> tuple[str, str]:
    action_id, action = _ACTIONS.get(op.name, ("000", "unknown action"))
    detail_id, detail = _detail(error)
    return f"VOLUME_VOLUME_BACKUP_{action_id}_{detail_id}", f"{action}: {detail}"


class BackupNotices:
    def failure_text(self, op: Operation, error: Exception) -> str:
        return _message(op, error)[1]

    def post_failure(self, op: Operation, error: Exception, *, project_id: str, resource_uuid: str,
                     request_id: str | None) -> None:
        event_id, text = _message(op, error)
        db.message_create(project_id=project_id, resource_type="VOLUME_BACKUP", resource_uuid=resource_uuid,
                          event_id=event_id, user_message=text, request_id=request_id)
