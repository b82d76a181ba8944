"""Rules of /v3/attachments: Cinder's ``attachments.py``, and ember's three where Cinder checks no rule.

Cinder lets any caller of the project list and show its attachments, connection_info (with the
CHAP secret) included. ember names those reads (``ember:attachment_get``, ``ember:attachment_get_all``:
readers and up) and keeps connection_info for the callers who connect hosts: the project's members,
the cloud admin and the service role (Nova's service token) — ``ember:attachment_connection_info``.
"""

from __future__ import annotations

from oslo_policy.policy import DocumentedRuleDefault as Rule

from api.policies.base import (
    ADMIN_OR_OWNER,
    ADMIN_OR_PROJECT_MEMBER,
    ADMIN_OR_PROJECT_READER,
    deprecated,
    operation,
)

CREATE = "volume:attachment_create"
UPDATE = "volume:attachment_update"
DELETE = "volume:attachment_delete"
COMPLETE = "volume:attachment_complete"
MULTIATTACH_BOOTABLE = "volume:multiattach_bootable_volume"
GET = "ember:attachment_get"
GET_ALL = "ember:attachment_get_all"
CONNECTION_INFO = "ember:attachment_connection_info"

_ONE = "/attachments/{attachment_id}"

RULES = [
    Rule(CREATE, ADMIN_OR_PROJECT_MEMBER, "Create attachment.", [operation("POST", "/attachments")],
         deprecated_rule=deprecated(CREATE, "")),
    Rule(UPDATE, ADMIN_OR_PROJECT_MEMBER, "Update attachment.", [operation("PUT", _ONE)],
         deprecated_rule=deprecated(UPDATE, ADMIN_OR_OWNER)),
    Rule(DELETE, ADMIN_OR_PROJECT_MEMBER, "Delete attachment.", [operation("DELETE", _ONE)],
         deprecated_rule=deprecated(DELETE, ADMIN_OR_OWNER)),
    Rule(COMPLETE, ADMIN_OR_PROJECT_MEMBER, "Mark a volume attachment process as completed (in-use)",
         [operation("POST", f"{_ONE}/action (os-complete)")],
         deprecated_rule=deprecated(COMPLETE, ADMIN_OR_OWNER)),
    Rule(MULTIATTACH_BOOTABLE, ADMIN_OR_PROJECT_MEMBER, "Allow multiattach of bootable volumes.",
         [operation("POST", "/attachments")], deprecated_rule=deprecated(MULTIATTACH_BOOTABLE, ADMIN_OR_OWNER)),
    Rule(GET, ADMIN_OR_PROJECT_READER, "(ember) Show attachment; Cinder checks no rule here.",
         [operation("GET", _ONE)]),
    Rule(GET_ALL, ADMIN_OR_PROJECT_READER, "(ember) List attachments; Cinder checks no rule here.",
         [operation("GET", "/attachments"), operation("GET", "/attachments/detail")]),
    Rule(CONNECTION_INFO, f"{ADMIN_OR_PROJECT_MEMBER} or role:service or service_roles:service",
         "(ember) Include an attachment's connection_info (the target and its CHAP secret) in attachment "
         "responses; the other callers read null. The ability to make these calls is governed by other "
         "policies.",
         [operation("GET", _ONE), operation("GET", "/attachments/detail"), operation("POST", "/attachments"),
          operation("PUT", _ONE)]),
]


def list_rules() -> list[Rule]:
    return list(RULES)
