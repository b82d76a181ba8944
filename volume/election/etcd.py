"""Election through etcd 3 (its grpc gateway, with etcd3gw): a lease and a lock key per backend.

etcd3gw talks to one endpoint; this client knows all of them and moves to the next when one
does not answer, so losing one etcd member of three changes nothing. The lock key is created
only if absent, bound to the node's lease: when the node dies the lease expires and the key
goes. A holder does not trust its local view (tooz's can stay "acquired" after the server let
the key go): each renewal checks that the key still names this node and this lease, and that
the backend's epoch in the DB is still the one it took.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

import etcd3gw
from etcd3gw.exceptions import Etcd3Exception
from etcd3gw.lease import Lease as EtcdLease
from requests.exceptions import RequestException

from db import api as db
from volume.election.base import Lease, Unreachable, deadline_of

log = logging.getLogger(__name__)

T = TypeVar("T")
# Etcd3Exception: every answer that is not 200 (a member without a leader answers 503), and the
# connection errors etcd3gw derives from it
_UNREACHABLE = (Etcd3Exception, RequestException, OSError)
KEY_PREFIX = "/ember/backends/"


def endpoints_of(url: str) -> list[tuple[str, int]]:
    """``etcd3+http://h1:2379,h2:2381`` -> [(h1, 2379), (h2, 2381)]."""
    netloc = urlsplit(url.replace("etcd3+", "", 1)).netloc or url.partition("://")[2].split("/")[0]
    found = []
    for item in netloc.split(","):
        host, _, port = item.strip().rpartition(":")
        found.append((host or item.strip(), int(port) if port.isdigit() else 2379))
    return found


class EtcdElector:
    def __init__(self, url: str, *, ttl_s: float) -> None:
        self.ttl_s = ttl_s
        self._endpoints = endpoints_of(url)
        self._current = 0
        self._timeout_s = max(0.5, ttl_s / 3)
        # etcd's TTLs are whole seconds, at least 1.5 x its election timeout: ask for lease_ttl_s rounded
        # up and count on what etcd grants, measured from when the request left (etcd counts from when it
        # arrived, later). The lock is etcd's until then anyway, so no standby could act sooner; and the
        # active needs the margin to ride out the leader election that follows losing etcd's leader.
        self._requested_ttl = max(1, math.ceil(ttl_s))
        self._client = self._connect()

    def _connect(self) -> Any:
        host, port = self._endpoints[self._current]
        return etcd3gw.client(host=host, port=port, timeout=self._timeout_s)

    def _call(self, what: Callable[[Any], T]) -> T:
        """Run ``what(client)``, moving through the endpoints until one answers."""
        last: Exception | None = None
        for _ in range(len(self._endpoints)):
            try:
                return what(self._client)
            except _UNREACHABLE as error:
                last = error
                host, port = self._endpoints[self._current]
                self._current = (self._current + 1) % len(self._endpoints)
                log.warning("etcd %s:%s does not answer (%s); trying the next member", host, port, error)
                self._client = self._connect()
        assert last is not None
        raise last

    def campaign(self, backend_host: str, node: str) -> Lease | None:
        sent_at = time.monotonic()
        try:
            etcd_lease: EtcdLease = self._call(lambda c: c.lease(ttl=self._requested_ttl))
            if not self._call(lambda c: c.create(_key(backend_host), node, lease=etcd_lease)):
                self._call(lambda c: etcd_lease.revoke())
                return None
        except _UNREACHABLE as error:
            log.warning("no etcd member answers: %s", error)
            return None
        epoch = db.backend_epoch_advance(backend_host, node=node)
        return Lease(backend_host, node, epoch, deadline_of(sent_at, self._requested_ttl),
                     token=str(etcd_lease.id))

    def renew(self, lease: Lease) -> Lease | None:
        sent_at = time.monotonic()
        try:
            ttl = self._call(lambda c: EtcdLease(int(lease.token), client=c).refresh())
            held = self._call(lambda c: c.get(_key(lease.backend_host), metadata=True))
        except _UNREACHABLE as error:
            raise Unreachable(f"no etcd member answers: {error}") from error
        if not held or not _mine(held[0], lease):
            return None
        if db.backend_get(lease.backend_host).epoch != lease.epoch:
            return None  # the lock outlived a takeover recorded in the DB: never act on it
        if ttl <= 0:
            # A keepalive answered without a TTL (as during an etcd leader change) while the lock key,
            # which etcd deletes with an expired lease, is still ours: not a loss, but no extension either.
            raise Unreachable("etcd answered the keepalive without a TTL; the lock is still held")
        return lease.extended(sent_at=sent_at, ttl_s=ttl)

    def release(self, lease: Lease) -> None:
        try:
            self._call(lambda c: EtcdLease(int(lease.token), client=c).revoke())
        except _UNREACHABLE as error:
            log.warning("cannot release the etcd lease of %s (it expires by itself): %s", lease.backend_host, error)

    def close(self) -> None:
        pass


def _key(backend_host: str) -> str:
    return f"{KEY_PREFIX}{backend_host}/active"


def _mine(entry: Any, lease: Lease) -> bool:
    value, metadata = entry
    holder = value.decode() if isinstance(value, bytes) else str(value)
    return holder == lease.node and str(metadata.get("lease")) == lease.token
