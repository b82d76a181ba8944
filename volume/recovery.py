"""Finding work a dead or restarted volume service left unfinished, and finishing it.

Runs at start (everything transient on this backend) and periodically (what has sat
untouched for ``stuck_work_after_s``). Each transient status is treated by its rule in
``states.RECOVERY``: redone when its driver call is idempotent (a request still queued then
finds its work done and does nothing), otherwise failed with a user message. Nothing stays stuck.
What clients leave unfinished is not a dead service's work: it is reported (``volume/unfinished.py``).
"""

from __future__ import annotations

import logging

from common.context import RequestContext
from db import api as db
from volume.manager import BINARY, VolumeManager
from volume.states import ATTACHMENT_RECOVERY, RECOVERY, SNAPSHOT_RECOVERY

log = logging.getLogger(__name__)

STOPPED = "the service running it stopped"


def resume_stuck_work(manager: VolumeManager, *, older_than_s: float) -> int:
    """Redo or fail this backend's stuck volumes, snapshots and attachments; returns how many it handled.

    Attachments come first (a volume's status follows them).
    """
    if not manager.acting():
        return 0  # a standby recovers nothing; the active will
    ctx = RequestContext.service(BINARY)
    backend_host = manager.identity.backend_host
    handled = 0
    for attachment in db.attachment_list_stale(statuses=frozenset(str(s) for s in ATTACHMENT_RECOVERY),
                                               older_than_s=older_than_s, backend_host=backend_host):
        if not manager.is_busy(attachment.id):
            log.info("resuming attachment %s of volume %s left %s", attachment.id, attachment.volume_id,
                     attachment.status)
            manager.recover(ctx, "attachment", attachment, why=STOPPED)
            handled += 1
    for volume in db.volume_list_stale(statuses=frozenset(str(s) for s in RECOVERY), older_than_s=older_than_s,
                                       backend_host=backend_host):
        if not manager.is_busy(volume.id):
            log.info("resuming volume %s left in %s", volume.id, volume.status)
            manager.recover(ctx, "volume", volume, why=STOPPED)
            handled += 1
    for snapshot in db.snapshot_list_stale(statuses=frozenset(str(s) for s in SNAPSHOT_RECOVERY),
                                           older_than_s=older_than_s, backend_host=backend_host):
        if not manager.is_busy(snapshot.id):
            log.info("resuming snapshot %s left in %s", snapshot.id, snapshot.status)
            manager.recover(ctx, "snapshot", snapshot, why=STOPPED)
            handled += 1
    return handled
