"""Clusters (3.7) on the api side: each backend's volume service processes (one row per node, sharing the
backend's host ``host@backend``) form one cluster named for that host, as Cinder names a clustered backend.

A cluster is enabled or disabled as a whole, which is what os-services enable/disable of its host does:
the scheduler places nothing on a disabled cluster.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from common import binaries
from common.binaries import binary_of
from common.service_status import ACTIVE, shown_ha_role
from db import api as db
from db import errors as db_errors
from db.records import Service

CLUSTERED = (binaries.VOLUME,)  # Cinder clusters volume services only


@dataclass(frozen=True)
class Member:
    node: str
    up: bool
    ha_role: str | None
    ha_epoch: int | None
    heartbeat_at: datetime


@dataclass(frozen=True)
class Cluster:
    name: str
    binary: str
    disabled: bool
    disabled_reason: str | None
    frozen: bool
    created_at: datetime
    members: tuple[Member, ...]

    @property
    def up(self) -> bool:
        return any(m.up for m in self.members)

    @property
    def num_down_hosts(self) -> int:
        return sum(not m.up for m in self.members)

    @property
    def last_heartbeat(self) -> datetime:
        return max(m.heartbeat_at for m in self.members)

    @property
    def active(self) -> str | None:
        return next((m.node for m in self.members if m.ha_role == ACTIVE), None)



def clusters(*, now: datetime, down_after_s: int, binary: str | None = None, name: str | None = None) -> list[Cluster]:
    wanted = binary_of(binary) if binary else None
    rows = [s for s in db.service_list() if s.binary in CLUSTERED and (wanted is None or s.binary == wanted)
            and (name is None or s.host == name)]
    epochs = db.backend_epochs([s.host for s in rows if s.ha_role is not None])
    grouped: dict[tuple[str, str], list[Service]] = {}
    for service in rows:
        grouped.setdefault((service.host, service.binary), []).append(service)
    found = []
    for (host, service_binary), services in sorted(grouped.items()):
        first = services[0]
        members = tuple(Member(s.node, (now - s.heartbeat_at).total_seconds() <= down_after_s,
                               shown_ha_role(s.ha_role, s.ha_epoch, epochs.get(host)), s.ha_epoch,
                               s.heartbeat_at) for s in services)
        found.append(Cluster(host, service_binary, first.disabled, first.disabled_reason, first.frozen,
                             min(s.created_at for s in services), members))
    return found


def get(name: str, binary: str | None, *, now: datetime, down_after_s: int) -> Cluster:
    found = clusters(now=now, down_after_s=down_after_s, binary=binary or binaries.VOLUME, name=name)
    if not found:
        raise db_errors.NotFound("Cluster", name)
    return found[0]


def set_disabled(name: str, binary: str | None, *, disabled: bool, reason: str | None) -> None:
    """Every process of the cluster at once, as os-services enable/disable of its host; NotFound if none."""
    service_binary = binary_of(binary or binaries.VOLUME)
    if service_binary not in CLUSTERED:
        raise db_errors.NotFound("Cluster", f"{name} ({binary})")
    db.service_set_disabled(host=name, binary=service_binary, disabled=disabled, reason=reason)
