"""Rules of /v3/volumes (Cinder's ``cinder/policies/volumes.py`` names and defaults)."""

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

CREATE = "volume:create"
GET = "volume:get"
GET_ALL = "volume:get_all"
UPDATE = "volume:update"
DELETE = "volume:delete"
MULTIATTACH = "volume:multiattach"
UPDATE_READONLY = "volume:update_readonly_flag"
HOST_ATTRIBUTE = "volume_extension:volume_host_attribute"
TENANT_ATTRIBUTE = "volume_extension:volume_tenant_attribute"
MIG_STATUS_ATTRIBUTE = "volume_extension:volume_mig_status_attribute"

RULES = [
    Rule(CREATE, ADMIN_OR_PROJECT_MEMBER, "Create volume.", [operation("POST", "/volumes")],
         deprecated_rule=deprecated(CREATE, "")),
    Rule(GET, ADMIN_OR_PROJECT_READER, "Show volume.", [operation("GET", "/volumes/{volume_id}")],
         deprecated_rule=deprecated(GET, ADMIN_OR_OWNER)),
    Rule(GET_ALL, ADMIN_OR_PROJECT_READER, "List volumes or get summary of volumes.",
         [operation("GET", "/volumes"), operation("GET", "/volumes/detail"), operation("GET", "/volumes/summary")],
         deprecated_rule=deprecated(GET_ALL, ADMIN_OR_OWNER)),
    Rule(UPDATE, ADMIN_OR_PROJECT_MEMBER, "Update volume or update a volume's bootable status.",
         [operation("PUT", "/volumes"), operation("POST", "/volumes/{volume_id}/action (os-set_bootable)")],
         deprecated_rule=deprecated(UPDATE, ADMIN_OR_OWNER)),
    Rule(DELETE, ADMIN_OR_PROJECT_MEMBER, "Delete volume.", [operation("DELETE", "/volumes/{volume_id}")],
         deprecated_rule=deprecated(DELETE, ADMIN_OR_OWNER)),
    Rule(UPDATE_READONLY, ADMIN_OR_PROJECT_MEMBER, "Update volume read-only flag.",
         [operation("POST", "/volumes/{volume_id}/action (os-update_readonly_flag)")],
         deprecated_rule=deprecated(UPDATE_READONLY, ADMIN_OR_OWNER)),
    Rule(MULTIATTACH, ADMIN_OR_PROJECT_MEMBER, "Create multiattach capable volume.",
         [operation("POST", "/volumes")], deprecated_rule=deprecated(MULTIATTACH, ADMIN_OR_OWNER)),
    Rule(HOST_ATTRIBUTE, ADMIN_API, "List or show volume with host attribute.",
         [operation("GET", "/volumes/{volume_id}"), operation("GET", "/volumes/detail")]),
    Rule(TENANT_ATTRIBUTE, ADMIN_OR_PROJECT_READER, "List or show volume with tenant attribute.",
         [operation("GET", "/volumes/{volume_id}"), operation("GET", "/volumes/detail")],
         deprecated_rule=deprecated(TENANT_ATTRIBUTE, ADMIN_OR_OWNER)),
    Rule(MIG_STATUS_ATTRIBUTE, ADMIN_API, "List or show volume with migration status attribute.",
         [operation("GET", "/volumes/{volume_id}"), operation("GET", "/volumes/detail")]),
]


def list_rules() -> list[Rule]:
    return list(RULES)
