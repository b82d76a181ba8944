"""The backup service's way to a volume's bytes: the volume service's active says where they are (its
driver's ``data_location``), and makes and removes a forced backup's temporary snapshot.

The location is a path or URL on the volume service's host: ember-backup must run where it can open it
(the same host, or one that mounts the same NFS share).
"""

from __future__ import annotations

import contextlib
import logging
import time

from common.context import RequestContext
from db import api as db
from db import errors as db_errors
from db.records import Volume
from drivers.errors import DriverError, SourceNotFound
from rpc.errors import ServiceUnavailable
from volume.client import VolumeClient
from volume.states.snapshots import SnapshotStatus, snapshot_edge

log = logging.getLogger(__name__)

_POLL_S = 0.2


class VolumeUnreachable(DriverError):
    """The volume service did not answer, or the volume is on no backend."""


class VolumeAccess:
    def __init__(self, *, timeout_s: int, client: VolumeClient | None = None) -> None:
        self._timeout_s = timeout_s
        self._client = client or VolumeClient()

    def location(self, ctx: RequestContext, volume: Volume, snapshot_id: str | None = None) -> tuple[str, str]:
        """(location, format) of the volume's bytes, or of its snapshot's."""
        backend_host = _backend(volume)
        deadline = time.monotonic() + self._timeout_s
        while True:
            try:
                answer = self._client.data_location(ctx, backend_host, volume_id=volume.id, snapshot_id=snapshot_id,
                                                    timeout_s=max(1, int(deadline - time.monotonic())))
            except ServiceUnavailable as error:
                raise VolumeUnreachable(str(error.detail)) from error
            if answer.get("acted", False):
                break
            if time.monotonic() > deadline:  # only a standby answered: the backend is being taken over
                raise VolumeUnreachable(f"no active volume service of {backend_host}")
            time.sleep(_POLL_S)
        if answer.get("error"):
            raise SourceNotFound(str(answer["error"]))
        return str(answer["location"]), str(answer.get("format") or "raw")

    def take_snapshot(self, ctx: RequestContext, volume: Volume, *, backup_id: str, host: str) -> str:
        """A temporary snapshot of the (attached) volume, recorded on the backup before it exists, so that
        whoever finishes the backup removes it; returns its id once it is available."""
        snapshot = db.snapshot_create(project_id=volume.project_id, user_id=volume.user_id, volume_id=volume.id,
                                      volume_version=volume.version,
                                      volume_claim=(frozenset({volume.status}), volume.status),
                                      status=SnapshotStatus.CREATING, name=f"backup-snap-{backup_id}",
                                      description=f"Temporary snapshot of backup {backup_id}")
        if not db.backup_note(backup_id, host=host, temp_snapshot_id=snapshot.id):
            self.remove_snapshot(ctx, snapshot.id)
            raise DriverError(f"backup {backup_id} is no longer this service's")
        try:
            self._client.create_snapshot(ctx, _backend(volume), snapshot_id=snapshot.id)
        except ServiceUnavailable as error:
            raise VolumeUnreachable(str(error.detail)) from error
        status = self._wait_snapshot(snapshot.id, until=frozenset({SnapshotStatus.AVAILABLE, SnapshotStatus.ERROR}))
        if status != SnapshotStatus.AVAILABLE:
            raise DriverError(f"the temporary snapshot {snapshot.id} ended {status}")
        return snapshot.id

    def remove_snapshot(self, ctx: RequestContext, snapshot_id: str) -> None:
        """Delete the temporary snapshot and wait for it to be gone (best effort: a failure is logged, and the
        snapshot stays listed for an admin)."""
        try:
            snapshot = db.snapshot_get(snapshot_id)
        except db_errors.NotFound:
            return
        if snapshot.status == SnapshotStatus.CREATING:  # a create that may still run: let it land first
            self._wait_snapshot(snapshot_id, until=frozenset({SnapshotStatus.AVAILABLE, SnapshotStatus.ERROR}))
        moved = db.snapshot_transition(snapshot_id, snapshot_edge("force_delete.begin"))
        if moved is None and db_snapshot_status(snapshot_id) != SnapshotStatus.DELETING:
            log.warning("temporary snapshot %s could not be put in deleting", snapshot_id)
            return
        try:
            volume = db.volume_get(snapshot.volume_id)
            self._client.delete_snapshot(ctx, _backend(volume), snapshot_id=snapshot_id)
        except (ServiceUnavailable, db_errors.NotFound, VolumeUnreachable) as error:
            log.warning("temporary snapshot %s: its delete could not be asked for: %s", snapshot_id, error)
            return
        self._wait_snapshot(snapshot_id, until=frozenset({SnapshotStatus.ERROR_DELETING}))

    def _wait_snapshot(self, snapshot_id: str, *, until: frozenset[SnapshotStatus]) -> str | None:
        """Its status once in ``until``; None once it is gone; the last seen status at the timeout."""
        deadline = time.monotonic() + self._timeout_s
        status: str | None = None
        while time.monotonic() < deadline:
            status = db_snapshot_status(snapshot_id)
            if status is None or status in until:
                return status
            time.sleep(_POLL_S)
        return status

    def wait_volume(self, volume_id: str, *, leaving: str) -> Volume:
        """The volume once it is no longer ``leaving`` (a new volume being created), or at the timeout."""
        deadline = time.monotonic() + self._timeout_s
        volume = db.volume_get(volume_id)
        while volume.status == leaving and time.monotonic() < deadline:
            time.sleep(_POLL_S)
            volume = db.volume_get(volume_id)
        return volume


def db_snapshot_status(snapshot_id: str) -> str | None:
    with contextlib.suppress(db_errors.NotFound):
        return db.snapshot_get(snapshot_id).status
    return None


def _backend(volume: Volume) -> str:
    if volume.backend_host is None:
        raise VolumeUnreachable(f"volume {volume.id} is on no backend")
    return volume.backend_host
