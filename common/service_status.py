"""What ``os-services`` says of a service: whether it may take work, whether it is alive, its HA role."""

from __future__ import annotations

from enum import StrEnum


class ServiceStatus(StrEnum):
    """Whether an admin lets a service take work (``os-services`` ``status``)."""

    ENABLED = "enabled"
    DISABLED = "disabled"


# a volume service's HA role (os-services ``ha_role``)
ACTIVE = "active"
STANDBY = "standby"


class ServiceState(StrEnum):
    """Whether a service's heartbeat is recent (``os-services`` ``state``)."""

    UP = "up"
    DOWN = "down"


def shown_ha_role(role: str | None, epoch: int | None, backend_epoch: int | None) -> str | None:
    """The role os-services shows for a volume service that last reported ``role`` at ``epoch``.

    An active whose epoch a takeover has passed since (it was killed or paused while active) is no
    longer the active, whatever its last heartbeat said.
    """
    if role == ACTIVE and backend_epoch is not None and epoch != backend_epoch:
        return STANDBY
    return role
