"""Election through Consul (py-consul): a session and a KV lock per backend.

Consul's session TTL cannot go below 10 s (and Consul may wait twice that), so the session is
tied to a TTL health check of its own instead, which the holder passes at every renewal: when
the node dies the check goes critical after ``lease_ttl_s``, Consul invalidates the session and
frees the lock. The lock-delay is 1 s, not Consul's 15 s, which alone would break the takeover
target. Not run here: no Consul binary can be installed on these machines (the live tests skip).
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any
from urllib.parse import urlsplit

import consul
from requests.exceptions import RequestException

from db import api as db
from volume.election.base import Lease, Unreachable, deadline_of

log = logging.getLogger(__name__)

LOCK_DELAY_S = 1
KEY_PREFIX = "ember/backends/"
_UNREACHABLE = (consul.ConsulException, RequestException, OSError)


class ConsulElector:
    def __init__(self, url: str, *, ttl_s: float) -> None:
        self.ttl_s = ttl_s
        parts = urlsplit(url)
        self._consul = consul.Consul(host=parts.hostname or "127.0.0.1", port=parts.port or 8500,
                                     connections_timeout=max(1.0, ttl_s / 2))

    def campaign(self, backend_host: str, node: str) -> Lease | None:
        sent_at = time.monotonic()
        check_id = _check_id(backend_host, node)
        try:
            agent: Any = self._consul.agent
            agent.check.register(f"ember lease of {node} on {backend_host}", check_id=check_id,
                                 check=consul.Check.ttl(f"{math.ceil(self.ttl_s)}s"))
            agent.check.ttl_pass(check_id)
            session = self._consul.session.create(name=f"ember-{node}-{backend_host}", lock_delay=LOCK_DELAY_S,
                                                  checks=["serfHealth", check_id], behavior="release")
            if not self._consul.kv.put(_key(backend_host), node, acquire=session):
                self._consul.session.destroy(session)
                return None
        except _UNREACHABLE as error:
            log.warning("Consul does not answer: %s", error)
            return None
        epoch = db.backend_epoch_advance(backend_host, node=node)
        return Lease(backend_host, node, epoch, deadline_of(sent_at, self.ttl_s), token=session)

    def renew(self, lease: Lease) -> Lease | None:
        sent_at = time.monotonic()
        try:
            self._consul.agent.check.ttl_pass(_check_id(lease.backend_host, lease.node))
            _, session = self._consul.session.info(lease.token)
            _, entry = self._consul.kv.get(_key(lease.backend_host))
        except _UNREACHABLE as error:
            raise Unreachable(f"Consul does not answer: {error}") from error
        if session is None or entry is None or entry.get("Session") != lease.token:
            return None
        if db.backend_get(lease.backend_host).epoch != lease.epoch:
            return None
        return lease.extended(sent_at=sent_at, ttl_s=self.ttl_s)

    def release(self, lease: Lease) -> None:
        try:
            self._consul.kv.put(_key(lease.backend_host), lease.node, release=lease.token)
            self._consul.session.destroy(lease.token)
            self._consul.agent.check.deregister(_check_id(lease.backend_host, lease.node))
        except _UNREACHABLE as error:
            log.warning("cannot release the Consul lock of %s: %s", lease.backend_host, error)

    def close(self) -> None:
        pass


def _key(backend_host: str) -> str:
    return f"{KEY_PREFIX}{backend_host}/active"


def _check_id(backend_host: str, node: str) -> str:
    return f"ember-lease:{node}:{backend_host}"
