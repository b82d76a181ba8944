"""Policy decisions for the api: oslo.policy's Enforcer with ember's (Cinder's) defaults registered.

``[oslo_policy] policy_file`` (``policy.yaml`` beside ember.conf) overrides any default; the file is read
at start (a broken one stops the api) and again within a second of a change. A denial is Cinder's 403
"Policy doesn't allow <rule> to be performed."
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from oslo_config import cfg
from oslo_policy import opts, policy

from api import policies
from api.errors import policy_forbidden
from common.context import RequestContext

IS_ADMIN = "context_is_admin"
# oslo.policy looks for the policy file and its policy_dirs on every check (a search of the config
# folders and a stat each); a request makes several checks, so ember looks at most this often
RECHECK_S = 1.0
# a decision is a function of the rule, the target and the credentials while the rules stay: kept until
# the next look at the policy file (each check costs oslo.policy an inspect.getfullargspec per rule)
MAX_DECISIONS = 4096


def set_defaults(conf: cfg.ConfigOpts) -> None:
    """ember's [oslo_policy] defaults: Cinder 2026.2's, the persona rules only (no deprecated fallbacks).

    oslo.policy 6 always enforces a rule's scope types (its enforce_scope option is gone); Cinder's rules
    declare none, so a token's scope decides nothing beyond what the check strings say.
    """
    opts.set_defaults(conf, enforce_new_defaults=True)


def set_library_defaults() -> None:
    """oslo-config-generator's ``oslo.config.opts.defaults`` hook: the sample shows ember's defaults."""
    set_defaults(cfg.CONF)


class _Enforcer(policy.Enforcer):
    """oslo.policy's Enforcer that looks for a changed policy file at most every ``RECHECK_S``, and
    remembers its decisions until then."""

    _checked_at = float("-inf")

    def __init__(self, conf: cfg.ConfigOpts) -> None:
        super().__init__(conf)
        self._decisions: dict[tuple[str, Any, Any], bool] = {}

    def load_rules(self, force_reload: bool = False) -> None:
        now = time.monotonic()
        if force_reload or not self.rules or now - self._checked_at >= RECHECK_S:
            super().load_rules(force_reload)
            self._decisions = {}
            self._checked_at = now

    def decide(self, rule: str, target: Mapping[str, Any], creds: Mapping[str, Any]) -> bool:
        """``authorize`` without raising, remembered; an unregistered rule still raises PolicyNotRegistered."""
        self.load_rules()
        decisions = self._decisions
        key = (rule, _frozen(target), _frozen(creds))
        try:
            found = decisions.get(key)
        except TypeError:  # a value that cannot be a key (a dict in a target): decided each time
            return bool(self.authorize(rule, dict(target), dict(creds), do_raise=False))
        if found is None:
            found = bool(self.authorize(rule, dict(target), dict(creds), do_raise=False))
            if len(decisions) < MAX_DECISIONS:
                decisions[key] = found
        return found


def _frozen(values: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted((key, tuple(value) if isinstance(value, list) else value) for key, value in values.items()))


def new_enforcer(conf: cfg.ConfigOpts) -> _Enforcer:
    set_defaults(conf)
    enforcer = _Enforcer(conf)
    enforcer.register_defaults(policies.list_rules())
    return enforcer


class Policy:
    """The api's one enforcer; ``Target`` dicts hold the ``project_id`` (and ``user_id``) a rule is checked on."""

    def __init__(self, conf: cfg.ConfigOpts) -> None:
        self._enforcer = new_enforcer(conf)
        self._enforcer.load_rules()  # a policy file that does not parse stops the api here

    def allowed(self, ctx: RequestContext, rule: str, target: Mapping[str, Any]) -> bool:
        """Whether ``rule`` lets ``ctx`` act on ``target``; an unregistered rule is a bug (PolicyNotRegistered)."""
        return self._enforcer.decide(rule, target, ctx.to_policy_values())

    def authorize(self, ctx: RequestContext, rule: str, target: Mapping[str, Any]) -> None:
        if not self.allowed(ctx, rule, target):
            raise policy_forbidden(rule)

    def is_admin(self, ctx: RequestContext) -> bool:
        """Cinder's ``is_admin``: the ``context_is_admin`` rule on the caller's own credentials."""
        creds = ctx.to_policy_values()
        return self._enforcer.decide(IS_ADMIN, creds, creds)

    def with_admin_flag(self, ctx: RequestContext) -> RequestContext:
        """``ctx`` with ``is_admin`` as the policy says (what scopes its lookups to its project, or not)."""
        return replace(ctx, is_admin=self.is_admin(ctx))


def own_target(ctx: RequestContext) -> dict[str, Any]:
    """The target of a create, a list or a rule on the caller itself: the caller's project and user."""
    return {"project_id": ctx.project_id or None, "user_id": ctx.user_id}
