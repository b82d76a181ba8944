"""ember's policy rules: Cinder 2026.2's names and defaults, one module per resource, plus the enforcer.

``list_rules`` is the ``oslo.policy.policies`` entry point (``oslopolicy-sample-generator --namespace
ember``) and ``get_enforcer`` the ``oslo.policy.enforcer`` one (``oslopolicy-policy-generator --namespace
ember``). Each route of ``api.spec`` names its rule; ``api.policies.enforcer`` checks it.
"""

from __future__ import annotations

from oslo_config import cfg
from oslo_policy import policy

from api.policies import (
    attachments,
    backends,
    backups,
    base,
    clusters,
    default_types,
    groups,
    manageable,
    messages,
    qos_specs,
    quotas,
    snapshot_metadata,
    snapshots,
    volume_actions,
    volume_metadata,
    volume_transfer,
    volume_type,
    volumes,
    workers,
)

# the marker of the token-less routes (versions, the OpenAPI document, the health check): no rule, no token
PUBLIC = "@public"


def list_rules() -> list[policy.RuleDefault]:
    return [rule for module in (base, volumes, volume_actions, volume_metadata, snapshots, snapshot_metadata, attachments,
                                volume_type, volume_transfer, qos_specs, quotas, default_types, clusters, backends,
                                backups, messages, workers, manageable, groups)
                                for rule in module.list_rules()]


def get_enforcer() -> policy.Enforcer:
    """An enforcer on the global config the oslopolicy-* command has parsed (its --config-file)."""
    from api.policies.enforcer import new_enforcer

    return new_enforcer(cfg.CONF)
