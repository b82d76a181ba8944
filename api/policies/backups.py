"""Rules of /v3/backups and its admin actions (Cinder's ``backups.py`` and ``backup_actions.py``)."""

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

GET_ALL = "backup:get_all"
GET = "backup:get"
CREATE = "backup:create"
UPDATE = "backup:update"
DELETE = "backup:delete"
RESTORE = "backup:restore"
IMPORT = "backup:backup-import"
EXPORT = "backup:export-import"
PROJECT_ATTRIBUTE = "backup:backup_project_attribute"
RESET_STATUS = "volume_extension:backup_admin_actions:reset_status"
FORCE_DELETE = "volume_extension:backup_admin_actions:force_delete"

_ONE = "/backups/{backup_id}"

RULES = [
    Rule(GET_ALL, ADMIN_OR_PROJECT_READER, "List backups.",
         [operation("GET", "/backups"), operation("GET", "/backups/detail")],
         deprecated_rule=deprecated(GET_ALL, ADMIN_OR_OWNER)),
    Rule(PROJECT_ATTRIBUTE, ADMIN_API, "List backups or show backup with project attributes.",
         [operation("GET", _ONE), operation("GET", "/backups/detail")]),
    Rule(CREATE, ADMIN_OR_PROJECT_MEMBER, "Create backup.", [operation("POST", "/backups")],
         deprecated_rule=deprecated(CREATE, ADMIN_OR_OWNER)),
    Rule(GET, ADMIN_OR_PROJECT_READER, "Show backup.", [operation("GET", _ONE)],
         deprecated_rule=deprecated(GET, ADMIN_OR_OWNER)),
    Rule(UPDATE, ADMIN_OR_PROJECT_MEMBER, "Update backup.", [operation("PUT", _ONE)],
         deprecated_rule=deprecated(UPDATE, ADMIN_OR_OWNER)),
    Rule(DELETE, ADMIN_OR_PROJECT_MEMBER, "Delete backup.", [operation("DELETE", _ONE)],
         deprecated_rule=deprecated(DELETE, ADMIN_OR_OWNER)),
    Rule(RESTORE, ADMIN_OR_PROJECT_MEMBER, "Restore backup.", [operation("POST", f"{_ONE}/restore")],
         deprecated_rule=deprecated(RESTORE, ADMIN_OR_OWNER)),
    Rule(IMPORT, ADMIN_API, "Import backup.", [operation("POST", "/backups/import_record")]),
    Rule(EXPORT, ADMIN_API, "Export backup.", [operation("GET", f"{_ONE}/export_record")]),
    Rule(RESET_STATUS, ADMIN_API, "Reset status of a backup.",
         [operation("POST", f"{_ONE}/action (os-reset_status)")]),
    Rule(FORCE_DELETE, ADMIN_API, "Force delete a backup.",
         [operation("POST", f"{_ONE}/action (os-force_delete)")]),
]


def list_rules() -> list[Rule]:
    return list(RULES)
