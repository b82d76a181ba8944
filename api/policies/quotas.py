"""Rules of /v3/os-quota-sets and /v3/limits (Cinder's ``quotas.py`` and ``limits.py``), and ember's rule
for /v3/limits itself, which Cinder answers to any caller."""

from __future__ import annotations

from oslo_policy.policy import DocumentedRuleDefault as Rule

from api.policies.base import ADMIN_API, ADMIN_OR_OWNER, ADMIN_OR_PROJECT_READER, deprecated, operation

SHOW = "volume_extension:quotas:show"
UPDATE = "volume_extension:quotas:update"
DELETE = "volume_extension:quotas:delete"
USED_LIMITS = "limits_extension:used_limits"
LIMITS = "ember:limits_get"
QUOTA_CLASSES = "volume_extension:quota_classes"

_ONE = "/os-quota-sets/{project_id}"

RULES = [
    Rule(SHOW, ADMIN_OR_PROJECT_READER, "Show project quota (including usage and default).",
         [operation("GET", _ONE), operation("GET", f"{_ONE}/default"), operation("GET", f"{_ONE}?usage=True")],
         deprecated_rule=deprecated(SHOW, ADMIN_OR_OWNER)),
    Rule(UPDATE, ADMIN_API, "Update project quota.", [operation("PUT", _ONE)]),
    Rule(DELETE, ADMIN_API, "Delete project quota.", [operation("DELETE", _ONE)]),
    Rule(QUOTA_CLASSES, ADMIN_API, "Show or update project quota class.",
         [operation("GET", "/os-quota-class-sets/{project_id}"), operation("PUT", "/os-quota-class-sets/{project_id}")]),
    Rule(USED_LIMITS, ADMIN_OR_PROJECT_READER, "Show limits with used limit attributes.",
         [operation("GET", "/limits")], deprecated_rule=deprecated(USED_LIMITS, ADMIN_OR_OWNER)),
    Rule(LIMITS, "", "(ember) Show the caller's absolute limits; Cinder checks no rule here (any valid token).",
         [operation("GET", "/limits")]),
]


def list_rules() -> list[Rule]:
    return list(RULES)
