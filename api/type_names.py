"""A per-process map of volume type id -> name, reloaded at most about once a second.

Volume views show the type by name; this keeps a DB query for it off every request.
"""

from __future__ import annotations

import threading
import time

from db import api as db

TTL_S = 1.0


class TypeNames:
    def __init__(self, ttl_s: float = TTL_S) -> None:
        self._ttl_s = ttl_s
        self._names: dict[str, str] = {}
        self._expires = 0.0
        self._lock = threading.Lock()

    def name(self, type_id: str | None) -> str | None:
        if type_id is None:
            return None
        name = self._names.get(type_id)
        if name is None or time.monotonic() >= self._expires:
            self._reload()
            name = self._names.get(type_id)
        return name

    def invalidate(self) -> None:
        self._expires = 0.0

    def _reload(self) -> None:
        with self._lock:
            if time.monotonic() < self._expires:
                return  # another thread just did it
            self._names = {t.id: t.name for t in db.type_list(include_private=True)}
            self._expires = time.monotonic() + self._ttl_s
