"""Rules of manage and unmanage (Cinder's ``manageable_volumes.py`` and ``manageable_snapshots.py``): admins only."""

from __future__ import annotations

from oslo_policy.policy import DocumentedRuleDefault as Rule

from api.policies.base import ADMIN_API, operation

VOLUME_MANAGE = "volume_extension:volume_manage"
VOLUME_UNMANAGE = "volume_extension:volume_unmanage"
VOLUME_LIST_MANAGEABLE = "volume_extension:list_manageable"
SNAPSHOT_MANAGE = "snapshot_extension:snapshot_manage"
SNAPSHOT_UNMANAGE = "snapshot_extension:snapshot_unmanage"
SNAPSHOT_LIST_MANAGEABLE = "snapshot_extension:list_manageable"

RULES = [
    Rule(VOLUME_LIST_MANAGEABLE, ADMIN_API, "List (in detail) of volumes which are available to manage.",
         [operation("GET", "/manageable_volumes"), operation("GET", "/manageable_volumes/detail")]),
    Rule(VOLUME_MANAGE, ADMIN_API, "Manage existing volumes.",
         [operation("POST", "/manageable_volumes"), operation("POST", "/os-volume-manage")]),
    Rule(VOLUME_UNMANAGE, ADMIN_API, "Stop managing a volume.",
         [operation("POST", "/volumes/{volume_id}/action (os-unmanage)")]),
    Rule(SNAPSHOT_LIST_MANAGEABLE, ADMIN_API, "List (in detail) of snapshots which are available to manage.",
         [operation("GET", "/manageable_snapshots"), operation("GET", "/manageable_snapshots/detail")]),
    Rule(SNAPSHOT_MANAGE, ADMIN_API, "Manage an existing snapshot.",
         [operation("POST", "/manageable_snapshots"), operation("POST", "/os-snapshot-manage")]),
    Rule(SNAPSHOT_UNMANAGE, ADMIN_API, "Stop managing a snapshot.",
         [operation("POST", "/snapshots/{snapshot_id}/action (os-unmanage)")]),
]


def list_rules() -> list[Rule]:
    return list(RULES)
