"""The default election: a lease row per backend in ember's database, claimed by conditional update.

Works on SQLite, MariaDB and Galera alike (the claim is one UPDATE whose winner is whoever
commits). Timestamps are the claimers' own clocks: across hosts they need NTP, and the
fencing epoch keeps a holder whose clock ran slow from landing anything after a takeover.
"""

from __future__ import annotations

import time

from db import api as db
from volume.election.base import Lease, deadline_of


class SqlElector:
    def __init__(self, *, ttl_s: float) -> None:
        self.ttl_s = ttl_s

    def campaign(self, backend_host: str, node: str) -> Lease | None:
        sent_at = time.monotonic()
        epoch = db.backend_lease_claim(backend_host, node=node, ttl_s=self.ttl_s)
        if epoch is None:
            return None
        return Lease(backend_host, node, epoch, deadline_of(sent_at, self.ttl_s))

    def renew(self, lease: Lease) -> Lease | None:
        sent_at = time.monotonic()
        if not db.backend_lease_renew(lease.backend_host, node=lease.node, epoch=lease.epoch, ttl_s=self.ttl_s):
            return None
        return lease.extended(sent_at=sent_at, ttl_s=self.ttl_s)

    def release(self, lease: Lease) -> None:
        db.backend_lease_release(lease.backend_host, node=lease.node, epoch=lease.epoch)

    def close(self) -> None:
        pass
