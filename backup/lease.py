"""Each ember-backup's own lease: a row in ember's database whose epoch fences what it writes.

The service acts (takes work, lands operations) only while its lease is valid; it renews it every
quarter of its time to live. A peer that finds it run out claims it (advancing its epoch, so a late
write of the stopped service lands nothing), adopts its unfinished backups and gives the lease back.
"""

from __future__ import annotations

import logging

from operations.fence import LeaseFence
from volume.election import Lease
from volume.election.sql import SqlElector

log = logging.getLogger(__name__)


class ServiceLease:
    def __init__(self, fence: LeaseFence[Lease], *, name: str, node: str, ttl_s: float) -> None:
        self._fence = fence
        self._name = name
        self._node = node
        self._elector = SqlElector(ttl_s=ttl_s)
        self._held: Lease | None = None  # the last lease taken or renewed (the fence may have dropped it)

    def keep(self) -> None:
        """Take the lease (at start, or after losing it) or renew it."""
        lease = self._fence.lease
        if lease is None:
            lease = self._elector.campaign(self._name, self._node)
            if lease is not None:
                log.info("%s: lease taken (epoch %d)", self._name, lease.epoch)
        else:
            renewed = self._elector.renew(lease)
            if renewed is None:
                log.warning("%s: lease lost (epoch %d); acting no more until it is taken again", self._name,
                            lease.epoch)
            lease = renewed
        self._fence.lease = self._held = lease

    def release(self) -> None:
        """A clean stop: peers take over at once what this service leaves."""
        lease, self._held, self._fence.lease = self._held, None, None
        if lease is not None:
            self._elector.release(lease)
