"""Keystone tokens at ember's ASGI edge, validated by keystonemiddleware's ``auth_token`` as Cinder does.

keystonemiddleware is WSGI middleware; ember's api is ASGI. Rather than reimplement it, each request is
handed to one ``AuthProtocol`` through its public WSGI interface: a small environ holding only the
method, the path and the two token headers, and an inner WSGI app that merely records that the
middleware let the request through. Everything keystonemiddleware does then happens exactly as in
Cinder: ``[keystone_authtoken]`` read from ember.conf, the service user's session to Keystone, token
validation and its cache, expiry, service tokens (``service_token_roles``, an expired user token allowed
with a valid service token), application-credential access rules, its 401 and 503. The headers it sets
(X-User-Id, X-Roles, X-Service-Roles, ...) become the request context.

A validation may wait on Keystone, so it runs on a worker thread, never on the event loop, at most
``VALIDATION_THREADS`` at a time (apart from the threads of the routes, which hold DB connections).
Validated tokens are kept for ``token_cache_time`` seconds: in memcached when ``memcached_servers`` is
set, otherwise in one in-process cache shared by every thread (:class:`TokenCache`), handed to
keystonemiddleware through its ``cache`` environ hook. Its own in-process fallback would keep one cache
per concurrently used client, so a token would be validated again on each of them.

ember calls no other OpenStack service (no Nova, Glance or Barbican calls), so unlike Cinder it has no
``[service_user]`` section: the service user of ``[keystone_authtoken]`` only validates tokens.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

from anyio import CapacityLimiter, to_thread
from keystonemiddleware import auth_token
from oslo_config import cfg
from starlette.datastructures import Headers

from api.errors import IdentityUnavailable, Unauthorized
from api.policies.enforcer import Policy
from common.context import RequestContext

GROUP = "keystone_authtoken"
VALIDATION_THREADS = 16
CACHE_ENVIRON_KEY = "ember.token_cache"
CACHE_MAX_TOKENS = 4096  # a validated token with its catalog is a few kB
UNAUTHORIZED = "The request you have made requires authentication."
_PASSED = "ember.authenticated"
_TOKEN_HEADERS = ("x-auth-token", "x-service-token")


def register(conf: cfg.ConfigOpts) -> None:
    """keystonemiddleware's own ``[keystone_authtoken]`` options (its auth plugin adds its own at start)."""
    for group, options in auth_token.list_opts():
        conf.register_opts(options, group=group)


class TokenCache:
    """The memcached-client subset keystonemiddleware uses (get, set), thread-safe, bounded, in memory."""

    def __init__(self, max_items: int = CACHE_MAX_TOKENS) -> None:
        self._items: OrderedDict[str, tuple[float, Any]] = OrderedDict()
        self._max_items = max_items
        self._lock = threading.Lock()

    def get(self, key: str) -> Any:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return None
            expires_at, value = found
            if expires_at and time.monotonic() >= expires_at:
                del self._items[key]
                return None
            self._items.move_to_end(key)
            return value

    def set(self, key: str, value: Any, time: float = 0, min_compress_len: int = 0) -> bool:
        expires_at = _monotonic_deadline(time)
        with self._lock:
            self._items[key] = (expires_at, value)
            self._items.move_to_end(key)
            while len(self._items) > self._max_items:
                self._items.popitem(last=False)
        return True

    def size(self) -> int:
        # not __len__: keystonemiddleware takes an empty cache object for no cache at all (``if cache``)
        return len(self._items)


def _monotonic_deadline(ttl_s: float) -> float:
    return time.monotonic() + ttl_s if ttl_s and ttl_s > 0 else 0.0


def _passed(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    """The app behind keystonemiddleware: reached only by a request it accepted."""
    environ[_PASSED] = True
    start_response("204 No Content", [])
    return [b""]


class KeystoneAuth:
    handshake = False  # no token is a 401, as everywhere under Keystone

    def __init__(self, conf: cfg.ConfigOpts, policy: Policy) -> None:
        self.policy = policy
        local: dict[str, Any] = {"oslo_config_config": conf}
        self.cache: TokenCache | None = None
        if not conf[GROUP].memcached_servers and not conf[GROUP].cache:
            self.cache = TokenCache()
            local["cache"] = CACHE_ENVIRON_KEY
        self._protocol = auth_token.AuthProtocol(_passed, local)
        self.www_authenticate = f'Keystone uri="{self._protocol.www_authenticate_uri}"'
        self._limiter = CapacityLimiter(VALIDATION_THREADS)

    async def context(self, headers: Headers, *, method: str, path: str, request_id: str) -> RequestContext:
        environ = self._environ(headers, method=method, path=path)
        return await to_thread.run_sync(self.validate, environ, request_id, limiter=self._limiter)

    def _environ(self, headers: Headers, *, method: str, path: str) -> dict[str, Any]:
        environ: dict[str, Any] = {"REQUEST_METHOD": method, "PATH_INFO": path, "SCRIPT_NAME": "",
                                   "QUERY_STRING": "", "SERVER_NAME": "ember", "SERVER_PORT": "80",
                                   "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http"}
        for name in _TOKEN_HEADERS:
            value = headers.get(name)
            if value is not None:
                environ["HTTP_" + name.upper().replace("-", "_")] = value
        if self.cache is not None:
            environ[CACHE_ENVIRON_KEY] = self.cache
        return environ

    def validate(self, environ: dict[str, Any], request_id: str) -> RequestContext:
        """Run keystonemiddleware on ``environ`` (blocking: it may ask Keystone); the caller's context."""
        answered: list[str] = []

        def start_response(status: str, response_headers: list[tuple[str, str]], exc_info: Any = None) -> None:
            answered.append(status)

        for _ in self._protocol(environ, start_response):
            pass
        if not environ.get(_PASSED):
            status = answered[0] if answered else "401"
            if status.startswith("503"):
                raise IdentityUnavailable("The Keystone service is temporarily unavailable.")
            raise self.unauthorized()
        if environ.get("HTTP_X_IDENTITY_STATUS") != "Confirmed" or \
                environ.get("HTTP_X_SERVICE_IDENTITY_STATUS", "Confirmed") != "Confirmed":
            raise self.unauthorized()  # [keystone_authtoken] delay_auth_decision passes these on
        return self.policy.with_admin_flag(context_of(environ, request_id))

    def unauthorized(self) -> Unauthorized:
        return Unauthorized(UNAUTHORIZED, headers={"WWW-Authenticate": self.www_authenticate})


def context_of(environ: dict[str, Any], request_id: str) -> RequestContext:
    """The request context of the headers keystonemiddleware set for a confirmed token."""
    def header(name: str) -> str | None:
        value = environ.get(f"HTTP_{name}")
        return str(value) if value else None

    return RequestContext(
        user_id=header("X_USER_ID") or "", project_id=header("X_PROJECT_ID") or "", request_id=request_id,
        roles=_names(header("X_ROLES")), user_domain_id=header("X_USER_DOMAIN_ID"),
        project_domain_id=header("X_PROJECT_DOMAIN_ID"), domain_id=header("X_DOMAIN_ID"),
        system_scope=header("OPENSTACK_SYSTEM_SCOPE"), is_admin_project=(header("X_IS_ADMIN_PROJECT") or "True") == "True",
        service_user_id=header("X_SERVICE_USER_ID"), service_project_id=header("X_SERVICE_PROJECT_ID"),
        service_roles=_names(header("X_SERVICE_ROLES")))


def _names(value: str | None) -> tuple[str, ...]:
    return tuple(name.strip() for name in (value or "").split(",") if name.strip())
