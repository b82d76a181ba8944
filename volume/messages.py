"""What a project reads about a request that failed after it was accepted: user messages
(/v3/messages) in Cinder's shape, and the status reasons beside them.

A message is an action and a detail, each an id and a text: its event_id is
``VOLUME_<resource>_<action id>_<detail id>`` and its user_message ``"<action>: <detail>"``
(Cinder's message_field), with Cinder's ids and texts where Cinder has the event and ember's
own from 100 up. Neither ever holds a backend host, a pool, a path or a storage command line:
the services log those, under the request id the message carries, for the operator. Written
by the volume service's operations (``OperationNotices``), the scheduler manager and the api's admin reset.
"""

from __future__ import annotations

from dataclasses import dataclass

from db import api as db
from operations.operation import Operation, OperationStopped


@dataclass(frozen=True)
class Field:
    id: str
    text: str


class Action:
    SCHEDULE_ALLOCATE_VOLUME = Field("001", "schedule allocate volume")
    ATTACH_VOLUME = Field("002", "attach volume")
    UPDATE_ATTACHMENT = Field("004", "update attachment")
    UNMANAGE_VOLUME = Field("006", "unmanage volume")
    EXTEND_VOLUME = Field("007", "extend volume")
    CREATE_VOLUME_FROM_BACKEND = Field("008", "create volume from backend storage")
    SNAPSHOT_CREATE = Field("009", "create snapshot")
    SNAPSHOT_DELETE = Field("010", "delete snapshot")
    BACKUP_CREATE = Field("013", "create backup")
    BACKUP_RESTORE = Field("015", "restore backup")
    DELETE_VOLUME = Field("101", "delete volume")
    DETACH_VOLUME = Field("102", "detach volume")
    REVERT_VOLUME = Field("103", "revert volume to snapshot")
    MANAGE_VOLUME = Field("104", "manage existing volume")
    MANAGE_SNAPSHOT = Field("105", "manage existing snapshot")
    UNMANAGE_SNAPSHOT = Field("106", "unmanage snapshot")
    MIGRATE_VOLUME = Field("107", "migrate volume")
    RETYPE_VOLUME = Field("108", "retype volume")
    GROUP_SNAPSHOT_CREATE = Field("109", "create group snapshot")  # ember's: Cinder posts none for groups
    GROUP_SNAPSHOT_DELETE = Field("110", "delete group snapshot")
    UNKNOWN = Field("000", "unknown action")


class Detail:
    UNKNOWN_ERROR = Field("001", "An unknown error occurred.")
    NO_BACKEND_AVAILABLE = Field("003", "Could not find any available weighted backend.")
    DRIVER_FAILED_EXTEND = Field("010", "Volume Driver failed to extend volume.")
    DRIVER_FAILED_CREATE = Field("012", "Driver failed to create the volume.")
    SNAPSHOT_CREATE_ERROR = Field("013", "Snapshot failed to create.")
    SNAPSHOT_DELETE_ERROR = Field("016", "Snapshot failed to delete.")
    ATTACH_ERROR = Field("021", "Failed to attach volume.")
    DETACH_ERROR = Field("022", "Failed to detach volume.")
    DRIVER_FAILED_DELETE = Field("101", "Driver failed to delete the volume.")
    NOT_ENOUGH_SPACE = Field("102", "The backend has not enough free space.")
    SOURCE_MISSING = Field("103", "A volume or snapshot the operation reads is missing on the backend.")
    BACKEND_UNAVAILABLE = Field("104", "The storage backend cannot be reached.")
    OPERATION_STOPPED = Field("105", "The service running the operation stopped before it finished.")
    RESET_BY_ADMIN = Field("106", "An administrator reset the status; the operation was stopped.")
    CONNECTOR_INVALID = Field("107", "The host's connector does not fit this storage.")
    BACKENDS_CLOSED = Field("108", "Every backend is closed to new volumes (disabled or frozen).")
    DRIVER_FAILED_REVERT = Field("109", "Volume driver failed to revert the volume to the snapshot.")
    DRIVER_FAILED_MANAGE = Field("110", "Driver failed to take over the existing data.")
    DRIVER_FAILED_UNMANAGE = Field("111", "Driver failed to release the data to the backend.")
    MIGRATION_FAILED = Field("112", "The volume could not be copied to the other backend; it stays where it was.")


# the operation as Cinder's action, and the detail a plain driver failure of it gets
_ACTIONS: dict[tuple[str, str], tuple[Field, Field]] = {
    ("volume", "create"): (Action.CREATE_VOLUME_FROM_BACKEND, Detail.DRIVER_FAILED_CREATE),
    ("volume", "extend"): (Action.EXTEND_VOLUME, Detail.DRIVER_FAILED_EXTEND),
    ("volume", "delete"): (Action.DELETE_VOLUME, Detail.DRIVER_FAILED_DELETE),
    ("volume", "attach"): (Action.ATTACH_VOLUME, Detail.ATTACH_ERROR),
    ("volume", "detach"): (Action.DETACH_VOLUME, Detail.DETACH_ERROR),
    ("volume", "migrate"): (Action.MIGRATE_VOLUME, Detail.MIGRATION_FAILED),
    ("volume", "retype"): (Action.RETYPE_VOLUME, Detail.MIGRATION_FAILED),
    ("volume", "backup"): (Action.BACKUP_CREATE, Detail.UNKNOWN_ERROR),
    ("volume", "restore"): (Action.BACKUP_RESTORE, Detail.UNKNOWN_ERROR),
    ("volume", "revert"): (Action.REVERT_VOLUME, Detail.DRIVER_FAILED_REVERT),
    ("volume", "manage"): (Action.MANAGE_VOLUME, Detail.DRIVER_FAILED_MANAGE),
    ("volume", "unmanage"): (Action.UNMANAGE_VOLUME, Detail.DRIVER_FAILED_UNMANAGE),
    ("snapshot", "manage"): (Action.MANAGE_SNAPSHOT, Detail.DRIVER_FAILED_MANAGE),
    ("snapshot", "unmanage"): (Action.UNMANAGE_SNAPSHOT, Detail.DRIVER_FAILED_UNMANAGE),
    ("snapshot", "create"): (Action.SNAPSHOT_CREATE, Detail.SNAPSHOT_CREATE_ERROR),
    ("snapshot", "delete"): (Action.SNAPSHOT_DELETE, Detail.SNAPSHOT_DELETE_ERROR),
    ("attachment", "connect"): (Action.UPDATE_ATTACHMENT, Detail.ATTACH_ERROR),
    ("attachment", "disconnect"): (Action.DETACH_VOLUME, Detail.DETACH_ERROR),
    ("group_snapshot", "create"): (Action.GROUP_SNAPSHOT_CREATE, Detail.SNAPSHOT_CREATE_ERROR),
    ("group_snapshot", "delete"): (Action.GROUP_SNAPSHOT_DELETE, Detail.SNAPSHOT_DELETE_ERROR),
}

# Cinder's exception-to-detail mapping, by class name (drivers/errors.py, db/errors.py) so that the
# api, which posts messages too, imports no driver; the most specific class of the error wins
_ERROR_DETAILS: dict[str, Field] = {
    "NotEnoughSpace": Detail.NOT_ENOUGH_SPACE,
    "SourceNotFound": Detail.SOURCE_MISSING,
    "BackendUnavailable": Detail.BACKEND_UNAVAILABLE,
    "InvalidConnector": Detail.CONNECTOR_INVALID,
    "NotFound": Detail.SOURCE_MISSING,
}
_DRIVER_ERROR = "DriverError"

_RESOURCE_TYPES = {"volume": "VOLUME", "snapshot": "VOLUME_SNAPSHOT", "attachment": "VOLUME",
                   "group_snapshot": "GROUP_SNAPSHOT"}


@dataclass(frozen=True)
class Message:
    resource: str  # "volume" | "snapshot" | "attachment" (told about on its volume, as Cinder does)
    action: Field
    detail: Field

    @property
    def resource_type(self) -> str:
        return _RESOURCE_TYPES.get(self.resource, "VOLUME")

    @property
    def event_id(self) -> str:
        return f"VOLUME_{self.resource_type}_{self.action.id}_{self.detail.id}"

    @property
    def text(self) -> str:
        """The user message; also the status reason of the resource it is about."""
        return f"{self.action.text}: {self.detail.text}"


def failed(resource: str, operation: str, error: Exception) -> Message:
    """The message of ``operation`` on ``resource`` that failed with ``error`` (whose text stays in the log)."""
    action, driver_detail = _ACTIONS.get((resource, operation), (Action.UNKNOWN, Detail.UNKNOWN_ERROR))
    names = [cls.__name__ for cls in type(error).__mro__]
    for name in names:
        if name in _ERROR_DETAILS:
            return Message(resource, action, _ERROR_DETAILS[name])
    return Message(resource, action, driver_detail if _DRIVER_ERROR in names else Detail.UNKNOWN_ERROR)


def stopped(resource: str, operation: str, *, by_admin: bool = False) -> Message:
    """The message of an operation that was stopped: its service died, or an admin reset the resource."""
    action, _ = _ACTIONS.get((resource, operation), (Action.UNKNOWN, Detail.UNKNOWN_ERROR))
    return Message(resource, action, Detail.RESET_BY_ADMIN if by_admin else Detail.OPERATION_STOPPED)


def no_valid_backend(*, all_closed: bool = False) -> Message:
    detail = Detail.BACKENDS_CLOSED if all_closed else Detail.NO_BACKEND_AVAILABLE
    return Message("volume", Action.SCHEDULE_ALLOCATE_VOLUME, detail)


def post(message: Message, *, project_id: str, resource_uuid: str, request_id: str | None) -> None:
    """Store ``message`` for the project to read at /v3/messages."""
    db.message_create(project_id=project_id, resource_type=message.resource_type, resource_uuid=resource_uuid,
                      event_id=message.event_id, user_message=message.text, request_id=request_id)


class OperationNotices:
    """The volume service's messages about an operation that failed, as the operation runner posts them."""

    def failure_text(self, op: Operation, error: Exception) -> str:
        return _of_operation(op, error).text

    def post_failure(self, op: Operation, error: Exception, *, project_id: str, resource_uuid: str,
                     request_id: str | None) -> None:
        post(_of_operation(op, error), project_id=project_id, resource_uuid=resource_uuid, request_id=request_id)


def _of_operation(op: Operation, error: Exception) -> Message:
    return stopped(op.resource, op.name) if isinstance(error, OperationStopped) else failed(op.resource, op.name, error)
