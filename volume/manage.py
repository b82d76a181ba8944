"""Manage and unmanage on the volume service: the driver work of those operations, and the manageable lists.

The operations themselves run through the skeleton like every other (``VolumeManager``): a manage
takes the named data over under ember's name and lands ``available``; replayed after a crash, it
finishes a takeover the storage had made and fails one it had not. The lists are the driver's, with
what the DB holds added: a name carrying the id of a live volume or snapshot is ember's already.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from db import api as db
from db import errors as db_errors
from drivers.base import VolumeDriver
from drivers.errors import DriverError
from drivers.manageable import Manageable
from operations.operation import OperationStopped, Work

VOLUMES, SNAPSHOTS = "volumes", "snapshots"
ALREADY_MANAGED = "Already managed."


class ManageWork:
    def __init__(self, driver: VolumeDriver) -> None:
        self._driver = driver

    # -- the operations' work

    def manage(self, name: str) -> Work:
        def work(volume: Any) -> dict[str, Any]:
            self._driver.manage_volume(volume.id, name, size_gb=volume.size_gb)
            return {}

        return work

    def manage_again(self, volume: Any) -> dict[str, Any]:
        """Recovery: the reference is not kept, so only a takeover the storage finished can be finished."""
        if self._driver.volume_size(volume.id) is None:
            raise OperationStopped("the manage stopped before the storage took the data over; manage it again")
        self._driver.extend_volume(volume.id, volume.size_gb)  # grown to whole GiB, if it was not yet
        return {}

    def unmanage(self, volume: Any) -> dict[str, Any]:
        self._driver.unmanage_volume(volume.id)
        return {}

    def manage_snapshot(self, name: str) -> Work:
        def work(snapshot: Any) -> dict[str, Any]:
            self._driver.manage_snapshot(snapshot.id, volume_id=snapshot.volume_id, name=name)
            return {"progress": "100%"}

        return work

    def manage_snapshot_again(self, snapshot: Any) -> dict[str, Any]:
        try:
            self._driver.data_location(snapshot.volume_id, snapshot_id=snapshot.id)
        except DriverError as error:
            raise OperationStopped("the manage stopped before the storage took the snapshot over; manage it "
                                   "again") from error
        return {"progress": "100%"}

    def unmanage_snapshot(self, snapshot: Any) -> dict[str, Any]:
        self._driver.unmanage_snapshot(snapshot.id, volume_id=snapshot.volume_id)
        return {}

    # -- what the api asks before a manage, and the lists

    def check(self, kind: str, name: str) -> dict[str, Any]:
        """``name`` as it would be managed; {"error": ...} if the storage or the DB says it cannot be."""
        try:
            entry = (self._driver.manageable_volume if kind == VOLUMES else self._driver.manageable_snapshot)(name)
        except DriverError as error:
            return {"error": str(error)}
        if _live(kind, [entry.ember_id] if entry.ember_id else []):
            return {"error": f"{name} is {kind[:-1]} {entry.ember_id} of ember already"}
        return {"entry": _shown(entry, None), "pool": entry.pool}

    def listing(self, kind: str) -> list[dict[str, Any]]:
        entries = self._driver.manageable_volumes() if kind == VOLUMES else self._driver.manageable_snapshots()
        live = _live(kind, [e.ember_id for e in entries if e.ember_id])
        return [_shown(e, e.ember_id if e.ember_id in live else None, snapshot=kind == SNAPSHOTS) for e in entries]


def _live(kind: str, ids: Iterable[str]) -> set[str]:
    wanted = list(ids)
    if not wanted:
        return set()
    if kind == VOLUMES:
        return set(db.volumes_by_id(wanted))
    return {i for i in wanted if _exists(db.snapshot_get, i)}


def _exists(get: Callable[[str], Any], resource_id: str) -> bool:
    try:
        get(resource_id)
    except db_errors.NotFound:
        return False
    return True


def _shown(entry: Manageable, ember_id: str | None, *, snapshot: bool = False) -> dict[str, Any]:
    """An entry in Cinder's manageable-list form."""
    reason = ALREADY_MANAGED if ember_id else entry.reason_not_safe
    shown: dict[str, Any] = {"reference": {"source-name": entry.name}, "size": entry.size_gb,
                             "safe_to_manage": reason is None, "reason_not_safe": reason, "cinder_id": ember_id,
                             "extra_info": dict(entry.extra_info) if entry.extra_info else None}
    if snapshot:
        shown["source_reference"] = {"source-name": entry.source_name} if entry.source_name else None
    return shown
