"""Finding work a dead or restarted volume service left unfinished, and finishing it.

Runs at start (everything transient on this backend) and periodically (what has sat
untouched for ``stuck_work_after_s``). Each kind of ``volume/kinds.py`` is looked at in
``RECOVERY_ORDER`` (attachments first: a volume's status follows them), and each transient
status is treated by its rule (``operations/recovery.py``): redone when its driver call is
idempotent (a request still queued then finds its work done and does nothing), otherwise failed
with a user message. Nothing stays stuck. What clients leave unfinished is not a dead
service's work: it is reported (``volume/unfinished.py``).
"""

from __future__ import annotations

from common.context import RequestContext
from operations.recovery import resume_stuck
from volume.client import BINARY
from volume.kinds import RECOVERY_ORDER
from volume.manager import VolumeManager

STOPPED = "the service running it stopped"


def resume_stuck_work(manager: VolumeManager, *, older_than_s: float) -> int:
    """Redo or fail this backend's stuck attachments, volumes and snapshots; returns how many it handled."""
    return resume_stuck(manager.runner, manager, RECOVERY_ORDER, RequestContext.service(BINARY),
                        backend_host=manager.identity.backend_host, older_than_s=older_than_s, why=STOPPED)
