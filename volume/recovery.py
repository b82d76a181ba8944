"""Finding work a dead or restarted volume service left unfinished, and finishing it.

Runs at start (everything transient on this backend) and periodically (what has sat
untouched for ``stuck_work_after_s``). Create, extend and delete are replayed — driver
operations are idempotent, and a request still queued finds its work done and does
nothing; what cannot be replayed fails cleanly. Nothing stays stuck.
"""

from __future__ import annotations

import logging

from common.context import RequestContext
from db import api as db
from volume.manager import BINARY, VolumeManager
from volume.states import SNAPSHOT_TRANSIENT, TRANSIENT, SnapshotStatus, Status

log = logging.getLogger(__name__)


def resume_stuck_work(manager: VolumeManager, *, older_than_s: float) -> int:
    """Replay or fail this backend's stuck volumes and snapshots; returns how many it handled."""
    ctx = RequestContext.service(BINARY)
    backend_host = manager.identity.backend_host
    handled = 0
    for volume in db.volume_list_stale(statuses=frozenset(str(s) for s in TRANSIENT),
                                       older_than_s=older_than_s, backend_host=backend_host):
        if manager.is_busy(volume.id):
            continue
        status = Status(volume.status)
        log.info("resuming volume %s left in %s", volume.id, status)
        if status == Status.CREATING:
            manager.create_volume(ctx, volume.id)
        elif status == Status.DELETING:
            manager.delete_volume(ctx, volume.id)
        elif status == Status.EXTENDING and volume.target_size_gb:
            manager.extend_volume(ctx, volume.id, volume.target_size_gb)
        else:
            manager.fail_volume(ctx, volume.id, status, "the service running it stopped")
        handled += 1
    for snapshot in db.snapshot_list_stale(statuses=frozenset(str(s) for s in SNAPSHOT_TRANSIENT),
                                           older_than_s=older_than_s, backend_host=backend_host):
        if manager.is_busy(snapshot.id):
            continue
        log.info("resuming snapshot %s left in %s", snapshot.id, snapshot.status)
        if snapshot.status == SnapshotStatus.CREATING:
            manager.create_snapshot(ctx, snapshot.id)
        else:
            manager.delete_snapshot(ctx, snapshot.id)
        handled += 1
    return handled
