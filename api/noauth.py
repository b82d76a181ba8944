"""Cinder's noauth scheme, for development: ``X-Auth-Token: user:project`` names the caller; no token, a
made-up one (the handshake).

Anyone who reaches the api is whoever they claim to be: the only isolation is ``noauth_admin_projects``.
A caller of one of those projects (or any caller, when none is configured) gets the roles a Keystone
admin's token carries (admin, member, reader); any other caller those of a project member (member,
reader). The same policy then decides as under Keystone.
"""

from __future__ import annotations

import logging

from starlette.datastructures import Headers

from api.errors import Unauthorized
from api.policies.enforcer import Policy
from common.context import RequestContext

log = logging.getLogger(__name__)

MAX_ID_CHARS = 255  # the width of the user and project columns
ADMIN_ROLES = ("admin", "member", "reader")  # what Keystone's implied roles put in an admin's token
MEMBER_ROLES = ("member", "reader")


class NoAuth:
    handshake = True  # a request without a token gets the made-up one

    def __init__(self, policy: Policy, admin_projects: frozenset[str]) -> None:
        self.policy = policy
        self.admin_projects = admin_projects
        log.warning("auth_strategy = noauth: every caller is whoever its X-Auth-Token claims to be. noauth is "
                    "for development only; its only isolation is noauth_admin_projects (%s). Use "
                    "auth_strategy = keystone anywhere else.",
                    ", ".join(sorted(admin_projects)) or "none configured: every caller is admin")

    async def context(self, headers: Headers, *, method: str, path: str, request_id: str) -> RequestContext:
        return context_from_token(headers.get("x-auth-token", ""), request_id=request_id,
                                  admin_projects=self.admin_projects, policy=self.policy)


def context_from_token(token: str, *, request_id: str, admin_projects: frozenset[str],
                       policy: Policy) -> RequestContext:
    """The caller of ``user[:project]`` (project defaults to the user), with the roles described above."""
    user_id, _, project_id = token.strip().partition(":")
    user_id = user_id.strip()
    project_id = project_id.strip() or user_id
    if not project_id:
        raise Unauthorized("The X-Auth-Token must be user:project (noauth mode).")
    if len(user_id) > MAX_ID_CHARS or len(project_id) > MAX_ID_CHARS or not (user_id + project_id).isprintable():
        raise Unauthorized(f"The X-Auth-Token user and project must be printable and at most {MAX_ID_CHARS} "
                           "characters each.")
    admin = not admin_projects or project_id in admin_projects
    ctx = RequestContext(user_id=user_id or project_id, project_id=project_id, request_id=request_id,
                         roles=ADMIN_ROLES if admin else MEMBER_ROLES)
    return policy.with_admin_flag(ctx)


def handshake_headers(*, user: str | None, project: str | None, url: str) -> list[tuple[bytes, bytes]]:
    """The headers of the 204 a token-less request gets: a made-up token and the project's URL."""
    user = user or "admin"
    project = project or "admin"
    return [(b"x-auth-token", f"{user}:{project}".encode()),
            (b"x-server-management-url", f"{url.rstrip('/')}/{project}".encode()),
            (b"content-type", b"text/plain; charset=UTF-8")]
