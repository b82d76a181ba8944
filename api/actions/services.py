"""os-services changes on the api side: enable/disable and freeze/thaw, with Cinder's binary names.

A disabled or frozen backend gets no new volumes (the scheduler skips it); a frozen one also
refuses new work on its volumes.
"""

from __future__ import annotations

from common import binaries
from common.binaries import binary_of
from db import api as db
from db.records import Service

ACTIONS = ("enable", "disable", "disable-log-reason", "freeze", "thaw")
NEED_BINARY = frozenset({"enable", "disable", "disable-log-reason"})


def apply(action: str, *, host: str, binary: str | None, reason: str | None) -> Service:
    """Change every process row of ``binary`` on ``host``; NotFound if there is none."""
    if action in ("freeze", "thaw"):
        return db.service_set_frozen(host=host, binary=binary_of(binary or binaries.VOLUME), frozen=action == "freeze")
    return db.service_set_disabled(host=host, binary=binary_of(binary or ""), disabled=action != "enable",
                                   reason=reason if action == "disable-log-reason" else None)
