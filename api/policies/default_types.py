"""Rules of /v3/default-types (Cinder's ``default_types.py``): each project's default volume type (3.62)."""

from __future__ import annotations

from oslo_policy.policy import DocumentedRuleDefault as Rule

from api.policies.base import ADMIN_API, operation

SET = "volume_extension:default_set_or_update"
GET = "volume_extension:default_get"
GET_ALL = "volume_extension:default_get_all"
UNSET = "volume_extension:default_unset"

RULES = [
    Rule(SET, ADMIN_API, "Set or update default volume type.", [operation("PUT", "/default-types")]),
    Rule(GET, ADMIN_API, "Get default types.", [operation("GET", "/default-types/{project-id}")]),
    Rule(GET_ALL, ADMIN_API, "Get all default types. WARNING: Changing this might open up too much information "
         "regarding cloud deployment.", [operation("GET", "/default-types/")]),
    Rule(UNSET, ADMIN_API, "Unset default type.", [operation("DELETE", "/default-types/{project-id}")]),
]


def list_rules() -> list[Rule]:
    return list(RULES)
