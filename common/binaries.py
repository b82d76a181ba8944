"""The names of ember's service binaries, and Cinder's names for them.

Operators' scripts say ``cinder-volume``; every binary a request or a command names is read
through :func:`binary_of`, so both spellings find ember's ``ember-volume``.
"""

from __future__ import annotations

API = "ember-api"
SCHEDULER = "ember-scheduler"
VOLUME = "ember-volume"
BACKUP = "ember-backup"
ALL = (API, SCHEDULER, VOLUME, BACKUP)
CINDER_ALIASES = {binary.replace("ember-", "cinder-"): binary for binary in ALL}


def binary_of(name: str) -> str:
    """ember's binary for ``name``: Cinder's ``cinder-volume`` is ``ember-volume``."""
    return CINDER_ALIASES.get(name, name)
