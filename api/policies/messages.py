"""Rules of /v3/messages (Cinder's ``messages.py``)."""

from __future__ import annotations

from oslo_policy.policy import DocumentedRuleDefault as Rule

from api.policies.base import (
    ADMIN_OR_OWNER,
    ADMIN_OR_PROJECT_MEMBER,
    ADMIN_OR_PROJECT_READER,
    deprecated,
    operation,
)

GET_ALL = "message:get_all"
GET = "message:get"
DELETE = "message:delete"

RULES = [
    Rule(GET_ALL, ADMIN_OR_PROJECT_READER, "List messages.", [operation("GET", "/messages")],
         deprecated_rule=deprecated(GET_ALL, ADMIN_OR_OWNER)),
    Rule(GET, ADMIN_OR_PROJECT_READER, "Show message.", [operation("GET", "/messages/{message_id}")],
         deprecated_rule=deprecated(GET, ADMIN_OR_OWNER)),
    Rule(DELETE, ADMIN_OR_PROJECT_MEMBER, "Delete message.", [operation("DELETE", "/messages/{message_id}")],
         deprecated_rule=deprecated(DELETE, ADMIN_OR_OWNER)),
]


def list_rules() -> list[Rule]:
    return list(RULES)
