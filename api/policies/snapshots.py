"""Rules of /v3/snapshots and its admin actions (Cinder's ``snapshots.py`` and ``snapshot_actions.py``)."""

from __future__ import annotations

from oslo_policy.policy import DocumentedRuleDefault as Rule

from api.policies.base import (
    ADMIN_API,
    ADMIN_OR_OWNER,
    ADMIN_OR_PROJECT_MEMBER,
    ADMIN_OR_PROJECT_READER,
    deprecated,
    operation,
)

GET_ALL = "volume:get_all_snapshots"
GET = "volume:get_snapshot"
CREATE = "volume:create_snapshot"
UPDATE = "volume:update_snapshot"
DELETE = "volume:delete_snapshot"
EXTENDED_ATTRIBUTES = "volume_extension:extended_snapshot_attributes"
RESET_STATUS = "volume_extension:snapshot_admin_actions:reset_status"
FORCE_DELETE = "volume_extension:snapshot_admin_actions:force_delete"
UPDATE_STATUS = "snapshot_extension:snapshot_actions:update_snapshot_status"

_ONE = "/snapshots/{snapshot_id}"

RULES = [
    Rule(GET_ALL, ADMIN_OR_PROJECT_READER, "List snapshots.",
         [operation("GET", "/snapshots"), operation("GET", "/snapshots/detail")],
         deprecated_rule=deprecated(GET_ALL, ADMIN_OR_OWNER)),
    Rule(EXTENDED_ATTRIBUTES, ADMIN_OR_PROJECT_READER, "List or show snapshots with extended attributes.",
         [operation("GET", _ONE), operation("GET", "/snapshots/detail")],
         deprecated_rule=deprecated(EXTENDED_ATTRIBUTES, ADMIN_OR_OWNER)),
    Rule(CREATE, ADMIN_OR_PROJECT_MEMBER, "Create snapshot.", [operation("POST", "/snapshots")],
         deprecated_rule=deprecated(CREATE, ADMIN_OR_OWNER)),
    Rule(GET, ADMIN_OR_PROJECT_READER, "Show snapshot.", [operation("GET", _ONE)],
         deprecated_rule=deprecated(GET, ADMIN_OR_OWNER)),
    Rule(UPDATE, ADMIN_OR_PROJECT_MEMBER, "Update snapshot.", [operation("PUT", _ONE)],
         deprecated_rule=deprecated(UPDATE, ADMIN_OR_OWNER)),
    Rule(DELETE, ADMIN_OR_PROJECT_MEMBER, "Delete snapshot.", [operation("DELETE", _ONE)],
         deprecated_rule=deprecated(DELETE, ADMIN_OR_OWNER)),
    Rule(RESET_STATUS, ADMIN_API, "Reset status of a snapshot.",
         [operation("POST", f"{_ONE}/action (os-reset_status)")]),
    Rule(FORCE_DELETE, ADMIN_API, "Force delete a snapshot.",
         [operation("POST", f"{_ONE}/action (os-force_delete)")]),
    Rule(UPDATE_STATUS, ADMIN_OR_PROJECT_MEMBER, "Update database fields of snapshot.",
         [operation("POST", f"{_ONE}/action (os-update_snapshot_status)")]),
]


def list_rules() -> list[Rule]:
    return list(RULES)
