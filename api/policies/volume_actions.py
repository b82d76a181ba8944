"""Rules of the volume actions, POST /v3/volumes/{volume_id}/action (Cinder's ``volume_actions.py``)."""

from __future__ import annotations

from oslo_policy.policy import DocumentedRuleDefault as Rule
from oslo_policy.policy import Operation

from api.policies.base import ADMIN_API, ADMIN_OR_OWNER, ADMIN_OR_PROJECT_MEMBER, deprecated, operation

EXTEND = "volume:extend"
EXTEND_ATTACHED = "volume:extend_attached_volume"
RETYPE = "volume:retype"
RESET_STATUS = "volume_extension:volume_admin_actions:reset_status"
FORCE_DELETE = "volume_extension:volume_admin_actions:force_delete"
FORCE_DETACH = "volume_extension:volume_admin_actions:force_detach"
INITIALIZE = "volume_extension:volume_actions:initialize_connection"
TERMINATE = "volume_extension:volume_actions:terminate_connection"
ROLL_DETACHING = "volume_extension:volume_actions:roll_detaching"
RESERVE = "volume_extension:volume_actions:reserve"
UNRESERVE = "volume_extension:volume_actions:unreserve"
BEGIN_DETACHING = "volume_extension:volume_actions:begin_detaching"
ATTACH = "volume_extension:volume_actions:attach"
DETACH = "volume_extension:volume_actions:detach"
REVERT = "volume:revert_to_snapshot"
MIGRATE = "volume_extension:volume_admin_actions:migrate_volume"
MIGRATE_COMPLETION = "volume_extension:volume_admin_actions:migrate_volume_completion"


def _action(name: str) -> list[Operation]:
    return [operation("POST", f"/volumes/{{volume_id}}/action ({name})")]


def _member(rule: str, description: str, action: str) -> Rule:
    return Rule(rule, ADMIN_OR_PROJECT_MEMBER, description, _action(action),
                deprecated_rule=deprecated(rule, ADMIN_OR_OWNER))


RULES = [
    _member(EXTEND, "Extend a volume.", "os-extend"),
    _member(EXTEND_ATTACHED, "Extend a attached volume.", "os-extend"),
    _member(RETYPE, "Retype a volume.", "os-retype"),
    Rule(RESET_STATUS, ADMIN_API, "Reset status of a volume.", _action("os-reset_status")),
    Rule(FORCE_DELETE, ADMIN_API, "Force delete a volume.", _action("os-force_delete")),
    Rule(FORCE_DETACH, ADMIN_API, "Force detach a volume.", _action("os-force_detach")),
    Rule(MIGRATE, ADMIN_API, "Migrate a volume to the specified host.", _action("os-migrate_volume")),
    Rule(MIGRATE_COMPLETION, ADMIN_API, "Complete a volume migration.", _action("os-migrate_volume_completion")),
    _member(INITIALIZE, "Initialize volume attachment.", "os-initialize_connection"),
    _member(TERMINATE, "Terminate volume attachment.", "os-terminate_connection"),
    _member(ROLL_DETACHING, "Roll back volume status to 'in-use'.", "os-roll_detaching"),
    _member(RESERVE, "Mark volume as reserved.", "os-reserve"),
    _member(UNRESERVE, "Unmark volume as reserved.", "os-unreserve"),
    _member(BEGIN_DETACHING, "Begin detach volumes.", "os-begin_detaching"),
    _member(ATTACH, "Add attachment metadata.", "os-attach"),
    _member(DETACH, "Clear attachment metadata.", "os-detach"),
    _member(REVERT, "Revert a volume to a snapshot.", "revert"),
]


def list_rules() -> list[Rule]:
    return list(RULES)
