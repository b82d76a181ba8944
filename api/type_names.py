"""A per-process map of volume type id -> name and extra specs, reloaded at most about once a second.

Volume views show the type by name, and connection_info reads the type's ``cacheable`` spec and
whether it has QoS specs;
this keeps a DB query for them off every request.
"""

from __future__ import annotations

import threading
import time

from db import api as db
from db.records import VolumeType

TTL_S = 1.0


class TypeNames:
    def __init__(self, ttl_s: float = TTL_S) -> None:
        self._ttl_s = ttl_s
        self._types: dict[str, VolumeType] = {}
        self._expires = 0.0
        self._lock = threading.Lock()

    def name(self, type_id: str | None) -> str | None:
        found = self._get(type_id)
        return found.name if found is not None else None

    def extra_specs(self, type_id: str | None) -> dict[str, str]:
        found = self._get(type_id)
        return dict(found.extra_specs) if found is not None else {}

    def qos_specs_id(self, type_id: str | None) -> str | None:
        found = self._get(type_id)
        return found.qos_specs_id if found is not None else None

    def invalidate(self) -> None:
        self._expires = 0.0

    def _get(self, type_id: str | None) -> VolumeType | None:
        if type_id is None:
            return None
        found = self._types.get(type_id)
        if found is None or time.monotonic() >= self._expires:
            self._reload()
            found = self._types.get(type_id)
        return found

    def _reload(self) -> None:
        with self._lock:
            if time.monotonic() < self._expires:
                return  # another thread just did it
            self._types = {t.id: t for t in db.type_list(include_private=True)}
            self._expires = time.monotonic() + self._ttl_s
