"""Rules of /v3/types, its extra specs and type access (Cinder's ``volume_type.py``,
``type_extra_specs.py``, ``volume_access.py`` and the type encryption rules)."""

from __future__ import annotations

from oslo_policy.policy import DocumentedRuleDefault as Rule
from oslo_policy.policy import RuleDefault

from api.policies.base import (
    ADMIN_API,
    ADMIN_OR_OWNER,
    ADMIN_OR_PROJECT_MEMBER,
    ADMIN_OR_PROJECT_READER,
    deprecated,
    operation,
)

CREATE = "volume_extension:type_create"
UPDATE = "volume_extension:type_update"
DELETE = "volume_extension:type_delete"
GET = "volume_extension:type_get"
GET_ALL = "volume_extension:type_get_all"
EXTRA_SPECS_ATTRIBUTE = "volume_extension:access_types_extra_specs"
QOS_ATTRIBUTE = "volume_extension:access_types_qos_specs_id"
TYPE_ACCESS_ATTRIBUTE = "volume_extension:volume_type_access"
ACCESS_LIST = "volume_extension:volume_type_access:get_all_for_type"
ACCESS_ADD = "volume_extension:volume_type_access:addProjectAccess"
ACCESS_REMOVE = "volume_extension:volume_type_access:removeProjectAccess"
SPECS_INDEX = "volume_extension:types_extra_specs:index"
SPECS_SHOW = "volume_extension:types_extra_specs:show"
SPECS_CREATE = "volume_extension:types_extra_specs:create"
SPECS_UPDATE = "volume_extension:types_extra_specs:update"
SPECS_DELETE = "volume_extension:types_extra_specs:delete"
SPECS_READ_SENSITIVE = "volume_extension:types_extra_specs:read_sensitive"
ENCRYPTION = "volume_extension:volume_type_encryption"
ENCRYPTION_CREATE = "volume_extension:volume_type_encryption:create"
ENCRYPTION_GET = "volume_extension:volume_type_encryption:get"
ENCRYPTION_UPDATE = "volume_extension:volume_type_encryption:update"
ENCRYPTION_DELETE = "volume_extension:volume_type_encryption:delete"

# the extra specs every reader of a type may see (Cinder's USER_VISIBLE_EXTRA_SPECS)
USER_VISIBLE_EXTRA_SPECS = ("RESKEY:availability_zones", "multiattach", "replication_enabled")

_MANAGE = "volume_extension:types_manage"
_MANAGE_REASON = f"{_MANAGE} has been replaced by policies that separately govern POST, PUT and DELETE."
_ONE = "/types/{type_id}"
_SPECS = f"{_ONE}/extra_specs"
_SPEC = f"{_SPECS}/{{extra_spec_key}}"
_ENCRYPTION = f"{_ONE}/encryption"
_ENCRYPTION_REASON = (f"{ENCRYPTION} was a convenience policy that set every volume encryption type policy at "
                      "once; each of them now has its own default.")

RULES: list[RuleDefault] = [
    Rule(CREATE, ADMIN_API, "Create volume type.", [operation("POST", "/types")],
         deprecated_rule=deprecated(_MANAGE, ADMIN_API, _MANAGE_REASON)),
    Rule(UPDATE, ADMIN_API, "Update volume type.", [operation("PUT", "/types")],
         deprecated_rule=deprecated(_MANAGE, ADMIN_API, _MANAGE_REASON)),
    Rule(DELETE, ADMIN_API, "Delete volume type.", [operation("DELETE", "/types")],
         deprecated_rule=deprecated(_MANAGE, ADMIN_API, _MANAGE_REASON)),
    Rule(GET, ADMIN_OR_PROJECT_READER, "Get one specific volume type.", [operation("GET", _ONE)],
         deprecated_rule=deprecated(GET, "")),
    Rule(GET_ALL, ADMIN_OR_PROJECT_READER, "List volume types.", [operation("GET", "/types/")],
         deprecated_rule=deprecated(GET_ALL, "")),
    Rule(EXTRA_SPECS_ATTRIBUTE, ADMIN_OR_PROJECT_READER,
         "Include the volume type's extra_specs attribute in the volume type list or show requests.  The "
         "ability to make these calls is governed by other policies.",
         [operation("GET", _ONE), operation("GET", "/types")],
         deprecated_rule=deprecated(EXTRA_SPECS_ATTRIBUTE, ADMIN_API)),
    Rule(QOS_ATTRIBUTE, ADMIN_API,
         "Include the volume type's QoS specifications ID attribute in the volume type list or show requests.  "
         "The ability to make these calls is governed by other policies.",
         [operation("GET", _ONE), operation("GET", "/types")]),
    Rule(TYPE_ACCESS_ATTRIBUTE, ADMIN_OR_PROJECT_MEMBER,
         "Adds the boolean field 'os-volume-type-access:is_public' to the responses for these API calls.  The "
         "ability to make these calls is governed by other policies.",
         [operation("GET", "/types"), operation("GET", _ONE), operation("POST", "/types")],
         deprecated_rule=deprecated(TYPE_ACCESS_ATTRIBUTE, ADMIN_OR_OWNER)),
    Rule(ACCESS_LIST, ADMIN_API, "List type access for a volume type.",
         [operation("GET", f"{_ONE}/os-volume-type-access")]),
    Rule(ACCESS_ADD, ADMIN_API, "Add volume type access for project.",
         [operation("POST", f"{_ONE}/action (addProjectAccess)")]),
    Rule(ACCESS_REMOVE, ADMIN_API, "Remove volume type access for project.",
         [operation("POST", f"{_ONE}/action (removeProjectAccess)")]),
    Rule(SPECS_INDEX, ADMIN_OR_PROJECT_READER, "List type extra specs.", [operation("GET", _SPECS)],
         deprecated_rule=deprecated(SPECS_INDEX, "")),
    Rule(SPECS_CREATE, ADMIN_API, "Create type extra specs.", [operation("POST", _SPECS)]),
    Rule(SPECS_SHOW, ADMIN_OR_PROJECT_READER, "Show one specified type extra specs.", [operation("GET", _SPEC)],
         deprecated_rule=deprecated(SPECS_SHOW, "")),
    Rule(SPECS_READ_SENSITIVE, ADMIN_API,
         "Include extra_specs fields that may reveal sensitive information about the deployment that should "
         "not be exposed to end users in various volume-type responses that show extra_specs. The ability to "
         "make these calls is governed by other policies.",
         [operation("GET", "/types"), operation("GET", _ONE), operation("GET", _SPECS), operation("GET", _SPEC)]),
    Rule(SPECS_UPDATE, ADMIN_API, "Update type extra specs.", [operation("PUT", _SPEC)]),
    Rule(SPECS_DELETE, ADMIN_API, "Delete type extra specs.", [operation("DELETE", _SPEC)]),
    RuleDefault(ENCRYPTION, ADMIN_API, description="DEPRECATED: This rule will be removed in the Yoga release."),
    Rule(ENCRYPTION_CREATE, ADMIN_API, "Create volume type encryption.", [operation("POST", _ENCRYPTION)],
         deprecated_rule=deprecated(ENCRYPTION_CREATE, f"rule:{ENCRYPTION}", _ENCRYPTION_REASON)),
    Rule(ENCRYPTION_GET, ADMIN_API, "Show a volume type's encryption type, show an encryption specs item.",
         [operation("GET", _ENCRYPTION), operation("GET", f"{_ENCRYPTION}/{{key}}")],
         deprecated_rule=deprecated(ENCRYPTION_GET, f"rule:{ENCRYPTION}", _ENCRYPTION_REASON)),
    Rule(ENCRYPTION_UPDATE, ADMIN_API, "Update volume type encryption.",
         [operation("PUT", f"{_ENCRYPTION}/{{encryption_id}}")],
         deprecated_rule=deprecated(ENCRYPTION_UPDATE, f"rule:{ENCRYPTION}", _ENCRYPTION_REASON)),
    Rule(ENCRYPTION_DELETE, ADMIN_API, "Delete volume type encryption.",
         [operation("DELETE", f"{_ENCRYPTION}/{{encryption_id}}")],
         deprecated_rule=deprecated(ENCRYPTION_DELETE, f"rule:{ENCRYPTION}", _ENCRYPTION_REASON)),
]


def list_rules() -> list[RuleDefault]:
    return list(RULES)
