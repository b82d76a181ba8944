"""Rules of /v3/workers (Cinder's ``workers.py``)."""

from __future__ import annotations

from oslo_policy.policy import DocumentedRuleDefault as Rule

from api.policies.base import ADMIN_API, operation

CLEANUP = "workers:cleanup"

RULES = [Rule(CLEANUP, ADMIN_API, "Clean up workers.", [operation("POST", "/workers/cleanup")])]


def list_rules() -> list[Rule]:
    return list(RULES)
