"""Rules of /v3/volumes/{volume_id}/metadata (Cinder's ``volume_metadata.py``)."""

from __future__ import annotations

from oslo_policy.policy import DocumentedRuleDefault as Rule

from api.policies.base import (
    ADMIN_OR_OWNER,
    ADMIN_OR_PROJECT_MEMBER,
    ADMIN_OR_PROJECT_READER,
    deprecated,
    operation,
)

GET = "volume:get_volume_metadata"
CREATE = "volume:create_volume_metadata"
UPDATE = "volume:update_volume_metadata"
DELETE = "volume:delete_volume_metadata"

_PATH = "/volumes/{volume_id}/metadata"

RULES = [
    Rule(GET, ADMIN_OR_PROJECT_READER, "Show volume's metadata or one specified metadata with a given key.",
         [operation("GET", _PATH), operation("GET", f"{_PATH}/{{key}}")],
         deprecated_rule=deprecated(GET, ADMIN_OR_OWNER)),
    Rule(CREATE, ADMIN_OR_PROJECT_MEMBER, "Create volume metadata.", [operation("POST", _PATH)],
         deprecated_rule=deprecated(CREATE, ADMIN_OR_OWNER)),
    Rule(UPDATE, ADMIN_OR_PROJECT_MEMBER,
         "Replace a volume's metadata dictionary or update a single metadatum with a given key.",
         [operation("PUT", _PATH), operation("PUT", f"{_PATH}/{{key}}")],
         deprecated_rule=deprecated(UPDATE, ADMIN_OR_OWNER)),
    Rule(DELETE, ADMIN_OR_PROJECT_MEMBER, "Delete a volume's metadatum with the given key.",
         [operation("DELETE", f"{_PATH}/{{key}}")], deprecated_rule=deprecated(DELETE, ADMIN_OR_OWNER)),
]


def list_rules() -> list[Rule]:
    return list(RULES)
