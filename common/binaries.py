"""The names of ember's service binaries, and Cinder's names for them.

Operators' scripts say ``cinder-volume``; every binary a request or a command names is read
through :func:`binary_of`, so both spellings find ember's ``ember-volume``. The API answers
Cinder's spelling (:func:`cinder_name`): clients and Tempest look services up as ``cinder-volume``.
"""

from __future__ import annotations

API = "ember-api"
SCHEDULER = "ember-scheduler"
VOLUME = "ember-volume"
BACKUP = "ember-backup"
ALL = (API, SCHEDULER, VOLUME, BACKUP)
CINDER_ALIASES = {binary.replace("ember-", "cinder-"): binary for binary in ALL}
_CINDER_NAMES = {ember: cinder for cinder, ember in CINDER_ALIASES.items()}


def binary_of(name: str) -> str:
    """ember's binary for ``name``: Cinder's ``cinder-volume`` is ``ember-volume``."""
    return CINDER_ALIASES.get(name, name)


def cinder_name(binary: str) -> str:
    """Cinder's name for ember's ``binary``: ``ember-volume`` is answered as ``cinder-volume``."""
    return _CINDER_NAMES.get(binary, binary)
