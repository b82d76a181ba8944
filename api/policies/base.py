"""The base rules every other rule refers to, with the names and check strings of Cinder 2026.2.

Cinder's defaults are still those of its Xena phase: ``admin`` on any project acts as the cloud
admin, ``member`` and ``reader`` act on their own project, and nothing depends on system scope. An
operator's ``policy.yaml`` written for Cinder therefore means the same here.
"""

from __future__ import annotations

from oslo_policy import policy

# the persona check strings; rules name them as ``rule:<name>``
ADMIN_API = "rule:admin_api"
ADMIN_OR_PROJECT_READER = "rule:xena_system_admin_or_project_reader"
ADMIN_OR_PROJECT_MEMBER = "rule:xena_system_admin_or_project_member"
ADMIN_OR_OWNER = "rule:admin_or_owner"  # the check string of the deprecated (pre-Xena) defaults

_PROJECT_READER = "role:reader and project_id:%(project_id)s"
_PROJECT_MEMBER = "role:member and project_id:%(project_id)s"
_CLOUD_ADMIN = "role:admin"

DEPRECATED_SINCE = "X"  # Cinder's Xena: the release its persona defaults replaced these
DEPRECATED_REASON = ("The defaults now tell the Keystone roles admin, member and reader apart (Cinder's "
                     "personas: cloud admin, project member, project reader).")


def deprecated(name: str, check_str: str, reason: str = DEPRECATED_REASON) -> policy.DeprecatedRule:
    """A rule's pre-persona default, still honoured while ``[oslo_policy] enforce_new_defaults`` is False."""
    return policy.DeprecatedRule(name=name, check_str=check_str, deprecated_reason=reason,
                                 deprecated_since=DEPRECATED_SINCE)


def operation(method: str, path: str) -> policy.Operation:
    return {"method": method, "path": path}


RULES = [
    policy.RuleDefault("context_is_admin", _CLOUD_ADMIN,
                       description="Who counts as the cloud admin: sees every project's resources, and "
                                   "passes the 'is_admin:True' check."),
    policy.RuleDefault("admin_api", "is_admin:True or (role:admin and is_admin_project:True)",
                       description="The default of the admin-only APIs."),
    policy.RuleDefault("xena_system_admin_or_project_reader", f"({_CLOUD_ADMIN}) or ({_PROJECT_READER})",
                       description="The cloud admin, and the readers (so also members) of the project."),
    policy.RuleDefault("xena_system_admin_or_project_member", f"({_CLOUD_ADMIN}) or ({_PROJECT_MEMBER})",
                       description="The cloud admin, and the members of the project."),
    policy.RuleDefault("admin_or_owner", "is_admin:True or (role:admin and is_admin_project:True) or "
                                         "project_id:%(project_id)s",
                       description="DEPRECATED (Cinder's pre-Xena default of most non-admin APIs): the "
                                   "deprecated defaults refer to it."),
    policy.RuleDefault("system_or_domain_or_project_admin",
                       "(role:admin and system_scope:all) or (role:admin and domain_id:%(domain_id)s) or "
                       "(role:admin and project_id:%(project_id)s)",
                       description="DEPRECATED (kept as Cinder keeps it): admins of the cloud, a domain or "
                                   "a project."),
]


def list_rules() -> list[policy.RuleDefault]:
    return list(RULES)
