"""Rules of /v3/qos-specs (Cinder's ``qos_specs.py``): all admin only."""

from __future__ import annotations

from oslo_policy.policy import DocumentedRuleDefault as Rule

from api.policies.base import ADMIN_API, operation

CREATE = "volume_extension:qos_specs_manage:create"
GET = "volume_extension:qos_specs_manage:get"
GET_ALL = "volume_extension:qos_specs_manage:get_all"
UPDATE = "volume_extension:qos_specs_manage:update"
DELETE = "volume_extension:qos_specs_manage:delete"

_ONE = "/qos-specs/{qos_id}"

RULES = [
    Rule(GET_ALL, ADMIN_API, "List qos specs or list all associations.",
         [operation("GET", "/qos-specs"), operation("GET", f"{_ONE}/associations")]),
    Rule(GET, ADMIN_API, "Show qos specs.", [operation("GET", _ONE)]),
    Rule(CREATE, ADMIN_API, "Create qos specs.", [operation("POST", "/qos-specs")]),
    Rule(UPDATE, ADMIN_API, "Update qos specs (including updating association).",
         [operation("PUT", _ONE), operation("GET", f"{_ONE}/disassociate_all"),
          operation("GET", f"{_ONE}/associate"), operation("GET", f"{_ONE}/disassociate")]),
    Rule(DELETE, ADMIN_API, "delete qos specs or unset one specified qos key.",
         [operation("DELETE", _ONE), operation("PUT", f"{_ONE}/delete_keys")]),
]


def list_rules() -> list[Rule]:
    return list(RULES)
