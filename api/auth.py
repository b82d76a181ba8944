"""Cinder's noauth scheme: ``X-Auth-Token: user:project`` names the caller; no token, a fake handshake."""

from __future__ import annotations

from api.errors import Unauthorized
from common.context import RequestContext

MAX_ID_CHARS = 255  # the width of the user and project columns


def context_from_token(token: str, *, request_id: str, admin_projects: frozenset[str]) -> RequestContext:
    """The caller of ``user[:project]`` (project defaults to the user).

    With no admin projects configured every caller is admin, as in Cinder's noauth mode.
    """
    user_id, _, project_id = token.strip().partition(":")
    user_id = user_id.strip()
    project_id = project_id.strip() or user_id
    if not project_id:
        raise Unauthorized("The X-Auth-Token must be user:project (noauth mode).")
    if len(user_id) > MAX_ID_CHARS or len(project_id) > MAX_ID_CHARS or not (user_id + project_id).isprintable():
        raise Unauthorized(f"The X-Auth-Token user and project must be printable and at most {MAX_ID_CHARS} "
                           "characters each.")
    is_admin = not admin_projects or project_id in admin_projects
    return RequestContext(user_id=user_id or project_id, project_id=project_id, is_admin=is_admin,
                          request_id=request_id)


def handshake_headers(*, user: str | None, project: str | None, url: str) -> list[tuple[bytes, bytes]]:
    """The headers of the 204 a token-less request gets: a made-up token and the project's URL."""
    user = user or "admin"
    project = project or "admin"
    return [(b"x-auth-token", f"{user}:{project}".encode()),
            (b"x-server-management-url", f"{url.rstrip('/')}/{project}".encode()),
            (b"content-type", b"text/plain; charset=UTF-8")]
