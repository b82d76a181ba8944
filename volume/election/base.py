"""The election interface and the lease it hands out.

A lease's ``deadline`` is on the holder's own monotonic clock, computed from the moment the
claim or renewal was *sent*, less a margin: the backend cannot have given the lease to anyone
else before it. The holder acts only while ``valid()``; past it, it steps down even if its
coordination backend cannot be reached to say so.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Protocol

# how long before the lease's end the holder stops, for clocks that drift and calls that lag
MARGIN_FRACTION = 0.15


@dataclass(frozen=True)
class Lease:
    backend_host: str
    node: str
    epoch: int          # the fencing token: larger at every new holder
    deadline: float     # time.monotonic() after which the holder must not act
    token: str = ""     # the backend's own handle (etcd lease id, Consul session id)

    def valid(self) -> bool:
        return time.monotonic() < self.deadline

    def extended(self, *, sent_at: float, ttl_s: float) -> Lease:
        return replace(self, deadline=deadline_of(sent_at, ttl_s))


def deadline_of(sent_at: float, ttl_s: float) -> float:
    return sent_at + ttl_s * (1 - MARGIN_FRACTION)


class Unreachable(Exception):
    """The coordination backend did not answer; the lease may well still be ours until its deadline."""


class Elector(Protocol):
    ttl_s: float

    def campaign(self, backend_host: str, node: str) -> Lease | None:
        """Try once to become the backend's active; the lease (with a new epoch) if this node won."""

    def renew(self, lease: Lease) -> Lease | None:
        """Keep the lease; None if it was lost (expired or taken). Unreachable if the backend did not
        answer: the holder may go on until the lease's deadline, trying again."""

    def release(self, lease: Lease) -> None:
        """Give the lease up now (a clean stop), so that a standby takes over at once."""

    def close(self) -> None: ...
