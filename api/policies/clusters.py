"""Rules of /v3/clusters (Cinder's ``clusters.py``)."""

from __future__ import annotations

from oslo_policy.policy import DocumentedRuleDefault as Rule

from api.policies.base import ADMIN_API, operation

GET_ALL = "clusters:get_all"
GET = "clusters:get"
UPDATE = "clusters:update"

RULES = [
    Rule(GET_ALL, ADMIN_API, "List clusters.", [operation("GET", "/clusters"), operation("GET", "/clusters/detail")]),
    Rule(GET, ADMIN_API, "Show cluster.", [operation("GET", "/clusters/{cluster_id}")]),
    Rule(UPDATE, ADMIN_API, "Update cluster.", [operation("PUT", "/clusters/{cluster_id}")]),
]


def list_rules() -> list[Rule]:
    return list(RULES)
