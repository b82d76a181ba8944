"""Rules of /v3/snapshots/{snapshot_id}/metadata (Cinder's ``snapshot_metadata.py``): POST and PUT both
update."""

from __future__ import annotations

from oslo_policy.policy import DocumentedRuleDefault as Rule

from api.policies.base import (
    ADMIN_OR_OWNER,
    ADMIN_OR_PROJECT_MEMBER,
    ADMIN_OR_PROJECT_READER,
    deprecated,
    operation,
)

GET = "volume:get_snapshot_metadata"
UPDATE = "volume:update_snapshot_metadata"
DELETE = "volume:delete_snapshot_metadata"

_PATH = "/snapshots/{snapshot_id}/metadata"

RULES = [
    Rule(GET, ADMIN_OR_PROJECT_READER, "Show snapshot's metadata or one specified metadata with a given key.",
         [operation("GET", _PATH), operation("GET", f"{_PATH}/{{key}}")],
         deprecated_rule=deprecated(GET, ADMIN_OR_OWNER)),
    Rule(UPDATE, ADMIN_OR_PROJECT_MEMBER, "Update snapshot's metadata or one specified metadata with a given key.",
         [operation("POST", _PATH), operation("PUT", _PATH), operation("PUT", f"{_PATH}/{{key}}")],
         deprecated_rule=deprecated(UPDATE, ADMIN_OR_OWNER)),
    Rule(DELETE, ADMIN_OR_PROJECT_MEMBER, "Delete snapshot's specified metadata with a given key.",
         [operation("DELETE", f"{_PATH}/{{key}}")], deprecated_rule=deprecated(DELETE, ADMIN_OR_OWNER)),
]


def list_rules() -> list[Rule]:
    return list(RULES)
