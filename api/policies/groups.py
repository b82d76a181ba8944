"""Rules of group types and their specs, groups and their actions (Cinder's ``group_types.py``,
``groups.py`` and ``group_actions.py``), and ember's two where Cinder checks no rule (reading group types)."""

from __future__ import annotations

from oslo_policy.policy import DocumentedRuleDefault as Rule
from oslo_policy.policy import Operation

from api.policies.base import (
    ADMIN_API,
    ADMIN_OR_OWNER,
    ADMIN_OR_PROJECT_MEMBER,
    ADMIN_OR_PROJECT_READER,
    deprecated,
    operation,
)

TYPE_CREATE = "group:group_types:create"
TYPE_UPDATE = "group:group_types:update"
TYPE_DELETE = "group:group_types:delete"
TYPE_SPECS_ATTRIBUTE = "group:access_group_types_specs"
SPEC_GET = "group:group_types_specs:get"
SPEC_GET_ALL = "group:group_types_specs:get_all"
SPEC_CREATE = "group:group_types_specs:create"
SPEC_UPDATE = "group:group_types_specs:update"
SPEC_DELETE = "group:group_types_specs:delete"
TYPE_GET = "ember:group_type_get"
TYPE_GET_ALL = "ember:group_type_get_all"

GET_ALL = "group:get_all"
CREATE = "group:create"
GET = "group:get"
UPDATE = "group:update"
PROJECT_ATTRIBUTE = "group:group_project_attribute"
DELETE = "group:delete"
RESET_STATUS = "group:reset_status"
ENABLE_REPLICATION = "group:enable_replication"
DISABLE_REPLICATION = "group:disable_replication"
FAILOVER_REPLICATION = "group:failover_replication"
LIST_REPLICATION_TARGETS = "group:list_replication_targets"

SNAPSHOT_GET_ALL = "group:get_all_group_snapshots"
SNAPSHOT_CREATE = "group:create_group_snapshot"
SNAPSHOT_GET = "group:get_group_snapshot"
SNAPSHOT_DELETE = "group:delete_group_snapshot"
SNAPSHOT_UPDATE = "group:update_group_snapshot"
SNAPSHOT_PROJECT_ATTRIBUTE = "group:group_snapshot_project_attribute"
SNAPSHOT_RESET_STATUS = "group:reset_group_snapshot_status"

_MANAGE = "group:group_types_manage"
_MANAGE_REASON = f"{_MANAGE} has been replaced by more granular policies that separately govern POST, PUT and DELETE."
_SPECS = "group:group_types_specs"
_SPECS_REASON = f"{_SPECS} has been replaced by more granular policies that separately govern GET, POST, PUT and DELETE."
_TYPE = "/group_types/{group_type_id}"
_SPEC = f"{_TYPE}/group_specs/{{g_spec_id}}"
_GROUP = "/groups/{group_id}"


def _action(name: str) -> list[Operation]:
    return [operation("POST", f"{_GROUP}/action ({name})")]


RULES = [
    Rule(TYPE_CREATE, ADMIN_API, "Create a group type.", [operation("POST", "/group_types/")],
         deprecated_rule=deprecated(_MANAGE, ADMIN_API, _MANAGE_REASON)),
    Rule(TYPE_UPDATE, ADMIN_API, "Update a group type.", [operation("PUT", _TYPE)],
         deprecated_rule=deprecated(_MANAGE, ADMIN_API, _MANAGE_REASON)),
    Rule(TYPE_DELETE, ADMIN_API, "Delete a group type.", [operation("DELETE", _TYPE)],
         deprecated_rule=deprecated(_MANAGE, ADMIN_API, _MANAGE_REASON)),
    Rule(TYPE_SPECS_ATTRIBUTE, ADMIN_API, "Show group type with type specs attributes.",
         [operation("GET", _TYPE)]),
    Rule(SPEC_GET, ADMIN_API, "Show a group type spec.", [operation("GET", _SPEC)],
         deprecated_rule=deprecated(_SPECS, ADMIN_API, _SPECS_REASON)),
    Rule(SPEC_GET_ALL, ADMIN_API, "List group type specs.", [operation("GET", f"{_TYPE}/group_specs")],
         deprecated_rule=deprecated(_SPECS, ADMIN_API, _SPECS_REASON)),
    Rule(SPEC_CREATE, ADMIN_API, "Create a group type spec.", [operation("POST", f"{_TYPE}/group_specs")],
         deprecated_rule=deprecated(_SPECS, ADMIN_API, _SPECS_REASON)),
    Rule(SPEC_UPDATE, ADMIN_API, "Update a group type spec.", [operation("PUT", _SPEC)],
         deprecated_rule=deprecated(_SPECS, ADMIN_API, _SPECS_REASON)),
    Rule(SPEC_DELETE, ADMIN_API, "Delete a group type spec.", [operation("DELETE", _SPEC)],
         deprecated_rule=deprecated(_SPECS, ADMIN_API, _SPECS_REASON)),
    Rule(TYPE_GET, ADMIN_OR_PROJECT_READER, "(ember) Show a group type; Cinder checks no rule here.",
         [operation("GET", _TYPE)]),
    Rule(TYPE_GET_ALL, ADMIN_OR_PROJECT_READER, "(ember) List group types; Cinder checks no rule here.",
         [operation("GET", "/group_types")]),
    Rule(GET_ALL, ADMIN_OR_PROJECT_READER, "List groups.",
         [operation("GET", "/groups"), operation("GET", "/groups/detail")],
         deprecated_rule=deprecated(GET_ALL, ADMIN_OR_OWNER)),
    Rule(CREATE, ADMIN_OR_PROJECT_MEMBER, "Create group.", [operation("POST", "/groups")],
         deprecated_rule=deprecated(CREATE, "")),
    Rule(GET, ADMIN_OR_PROJECT_READER, "Show group.", [operation("GET", _GROUP)],
         deprecated_rule=deprecated(GET, ADMIN_OR_OWNER)),
    Rule(UPDATE, ADMIN_OR_PROJECT_MEMBER, "Update group.", [operation("PUT", _GROUP)],
         deprecated_rule=deprecated(UPDATE, ADMIN_OR_OWNER)),
    Rule(PROJECT_ATTRIBUTE, ADMIN_API, "List groups or show group with project attributes.",
         [operation("GET", _GROUP), operation("GET", "/groups/detail")]),
    Rule(DELETE, ADMIN_OR_PROJECT_MEMBER, "Delete group.", _action("delete"),
         deprecated_rule=deprecated(DELETE, ADMIN_OR_OWNER)),
    Rule(RESET_STATUS, ADMIN_API, "Reset status of group.", _action("reset_status")),
    Rule(ENABLE_REPLICATION, ADMIN_OR_PROJECT_MEMBER, "Enable replication.", _action("enable_replication"),
         deprecated_rule=deprecated(ENABLE_REPLICATION, ADMIN_OR_OWNER)),
    Rule(DISABLE_REPLICATION, ADMIN_OR_PROJECT_MEMBER, "Disable replication.", _action("disable_replication"),
         deprecated_rule=deprecated(DISABLE_REPLICATION, ADMIN_OR_OWNER)),
    Rule(FAILOVER_REPLICATION, ADMIN_OR_PROJECT_MEMBER, "Fail over replication.", _action("failover_replication"),
         deprecated_rule=deprecated(FAILOVER_REPLICATION, ADMIN_OR_OWNER)),
    Rule(LIST_REPLICATION_TARGETS, ADMIN_OR_PROJECT_MEMBER, "List failover replication.",
         _action("list_replication_targets"), deprecated_rule=deprecated(LIST_REPLICATION_TARGETS, ADMIN_OR_OWNER)),
]


_GS = "/group_snapshots/{group_snapshot_id}"
RULES += [
    Rule(SNAPSHOT_GET_ALL, ADMIN_OR_PROJECT_READER, "List group snapshots.",
         [operation("GET", "/group_snapshots"), operation("GET", "/group_snapshots/detail")],
         deprecated_rule=deprecated(SNAPSHOT_GET_ALL, ADMIN_OR_OWNER)),
    Rule(SNAPSHOT_CREATE, ADMIN_OR_PROJECT_MEMBER, "Create group snapshot.", [operation("POST", "/group_snapshots")],
         deprecated_rule=deprecated(SNAPSHOT_CREATE, "")),
    Rule(SNAPSHOT_GET, ADMIN_OR_PROJECT_READER, "Show group snapshot.", [operation("GET", _GS)],
         deprecated_rule=deprecated(SNAPSHOT_GET, ADMIN_OR_OWNER)),
    Rule(SNAPSHOT_DELETE, ADMIN_OR_PROJECT_MEMBER, "Delete group snapshot.", [operation("DELETE", _GS)],
         deprecated_rule=deprecated(SNAPSHOT_DELETE, ADMIN_OR_OWNER)),
    Rule(SNAPSHOT_UPDATE, ADMIN_OR_PROJECT_MEMBER, "Update group snapshot.", [operation("PUT", _GS)],
         deprecated_rule=deprecated(SNAPSHOT_UPDATE, ADMIN_OR_OWNER)),
    Rule(SNAPSHOT_PROJECT_ATTRIBUTE, ADMIN_API, "List group snapshots or show group snapshot with project "
         "attributes.", [operation("GET", _GS), operation("GET", "/group_snapshots/detail")]),
    Rule(SNAPSHOT_RESET_STATUS, ADMIN_API, "Reset status of group snapshot.",
         [operation("POST", f"{_GS}/action (reset_status)")]),
]


def list_rules() -> list[Rule]:
    return list(RULES)
