"""Who calls: the authenticator ``[DEFAULT] auth_strategy`` names, built once per app.

``keystone``: Keystone tokens through keystonemiddleware (``api.keystone``); ``noauth``: the caller is
whoever its token claims (``api.noauth``, development only). Either gives the request its context,
whose roles the same policy (``api.policies``) then judges.
"""

from __future__ import annotations

from typing import Protocol

from oslo_config import cfg
from starlette.datastructures import Headers

from api.noauth import NoAuth
from api.policies.enforcer import Policy
from common.context import RequestContext

KEYSTONE = "keystone"
NOAUTH = "noauth"


class Authenticator(Protocol):
    handshake: bool  # a request without a token gets noauth's made-up token (a 204), not a 401

    async def context(self, headers: Headers, *, method: str, path: str, request_id: str) -> RequestContext:
        """The caller's context; Unauthorized (401) when the token is missing or not accepted."""
        ...


def build(conf: cfg.ConfigOpts, policy: Policy) -> Authenticator:
    if conf.auth_strategy == KEYSTONE:
        from api import keystone

        keystone.register(conf)  # already there when launch.opts loaded the file; an app built otherwise needs it
        return keystone.KeystoneAuth(conf, policy)
    return NoAuth(policy, frozenset(conf.noauth_admin_projects or ()))
