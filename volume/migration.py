"""Moving a volume to another backend (os-migrate_volume, os-retype with migration_policy on-demand).

The source backend's active runs it as one operation (``migrate`` or ``retype``, claimed under its
epoch): it asks the destination's active to make the target (same volume id, on the destination's
storage) and say where its bytes are, copies the source into it (``drivers/copy.py``), compares the
two byte for byte, and the landing swaps the volume's host (and, for a retype, its type) in the
transaction that ends the claim. Only then is the source's data deleted. A copy that fails, or an
operation a successor finds unfinished after a crash, takes the target away and leaves the volume
available where it was, its migration_status ``error``. Each side only ever deletes a copy of a
volume the DB says lives on the other backend.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from common.context import RequestContext
from db import api as db
from db import errors as db_errors
from drivers.base import DataLocation, VolumeDriver
from drivers.copy import copy_volume, same_bytes
from drivers.errors import DriverError
from operations.operation import OperationStopped
from volume.client import BINARY, VolumeClient
from volume.states.volumes import MigrationStatus

log = logging.getLogger(__name__)

CALL_TIMEOUT_S = 60  # the destination's active answers within this (creating an LV or a file)


class MigrationMismatch(DriverError):
    """The copy does not read as the source does."""


class Migrations:
    """Both ends of a migration for one backend's manager: the source's work, the destination's answers."""

    def __init__(self, driver: VolumeDriver, *, backend_host: str, acting: Callable[[], bool],
                 copy_bps_limit: int = 0, client: VolumeClient | None = None) -> None:
        self._driver = driver
        self._backend_host = backend_host
        self._acting = acting
        self._copy_bps_limit = copy_bps_limit
        self._client = client or VolumeClient()

    # -- the source's side: the operation's work, its undo, and what follows its landing

    def work(self, volume: Any) -> dict[str, Any]:
        """Copy the volume to its migration_host and return the landing's swap; the target goes on failure."""
        destination = _destination(volume)
        try:
            target = self._target(volume, destination)
            source = self._driver.data_location(volume.id)
            _mark(volume.id, volume.status, MigrationStatus.MIGRATING)  # the copy runs from now on
            log.info("volume %s: copying %s (%s) to %s (%s) on %s", volume.id, source.location, source.format,
                     target.location, target.format, destination)
            copy_volume(source, target, bps_limit=self._copy_bps_limit)
            if not same_bytes(source, target):
                raise MigrationMismatch(f"the copy of volume {volume.id} on {destination} differs from its source")
            _mark(volume.id, volume.status, MigrationStatus.COMPLETING)
        except Exception:
            self.discard_target(volume)
            raise
        values: dict[str, Any] = {"host": destination, "migration_status": str(MigrationStatus.SUCCESS),
                                  "migration_host": None, "migration_type_id": None,
                                  "provider_location": None, "provider_auth": None}
        if volume.migration_type_id:
            values["volume_type_id"] = volume.migration_type_id
        return values

    def discard_target(self, volume: Any) -> dict[str, Any]:
        """Take the (maybe half-written) target away on the destination; what recovery undoes first."""
        if not volume.migration_host:
            return {}
        backend = volume.migration_host.split("#", 1)[0]
        answer = self._client.migration_discard(_ctx(), backend, volume_id=volume.id, timeout_s=CALL_TIMEOUT_S)
        if not answer.get("acted") or answer.get("error"):
            log.warning("volume %s: the copy on %s may remain (%s)", volume.id, backend,
                        answer.get("error") or "its active did not answer")
        return {}

    def after_landing(self, volume_id: str) -> None:
        """Delete the source's data once the volume lives elsewhere (never while it lives here)."""
        try:
            volume = db.volume_get(volume_id)
        except db_errors.NotFound:
            return
        if volume.backend_host == self._backend_host or volume.migration_status != MigrationStatus.SUCCESS:
            return
        try:
            self._driver.delete_volume(volume_id)
        except DriverError as error:
            log.warning("volume %s: moved to %s, but its old copy here stays: %s", volume_id, volume.host, error)
            return
        log.info("volume %s: moved to %s; its old copy here is deleted", volume_id, volume.host)

    def _target(self, volume: Any, destination: str) -> DataLocation:
        backend, _, pool = destination.partition("#")
        answer = self._client.migration_target(_ctx(), backend, volume_id=volume.id, size_gb=volume.size_gb,
                                               pool=pool or None, timeout_s=CALL_TIMEOUT_S)
        if not answer.get("acted"):
            raise OperationStopped(f"no active volume service of {backend} answered")
        if answer.get("error"):
            raise DriverError(f"{backend} could not make the copy's target: {answer['error']}")
        return DataLocation(answer["location"], answer.get("format") or "raw")

    # -- the destination's side: answers to the source's calls

    def make_target(self, volume_id: str, size_gb: int, pool: str | None) -> dict[str, Any]:
        if not self._acting():
            return {"acted": False}
        if _lives_here(volume_id, self._backend_host):
            return {"acted": True, "error": f"volume {volume_id} already lives on {self._backend_host}"}
        try:
            self._driver.create_volume(volume_id, size_gb, pool=pool)
            found = self._driver.data_location(volume_id)
        except DriverError as error:
            return {"acted": True, "error": str(error)}
        return {"acted": True, "location": found.location, "format": found.format}

    def drop_target(self, volume_id: str) -> dict[str, Any]:
        if not self._acting():
            return {"acted": False}
        if _lives_here(volume_id, self._backend_host):
            return {"acted": True, "error": f"volume {volume_id} lives on {self._backend_host}: kept"}
        try:
            self._driver.delete_volume(volume_id)
        except DriverError as error:
            return {"acted": True, "error": str(error)}
        log.info("volume %s: the migration's copy here is removed", volume_id)
        return {"acted": True}


def _destination(volume: Any) -> str:
    if not volume.migration_host:
        raise OperationStopped("the migration's destination was not kept")
    return str(volume.migration_host)


def _lives_here(volume_id: str, backend_host: str) -> bool:
    try:
        return db.volume_get(volume_id).backend_host == backend_host
    except db_errors.NotFound:
        return False


def _mark(volume_id: str, status: str, migration_status: MigrationStatus) -> None:
    """Show how far the migration is (the volume stays in its working status)."""
    db.volume_transition(volume_id, (frozenset({status}), status), migration_status=str(migration_status))


def _ctx() -> RequestContext:
    return RequestContext.service(BINARY)

