"""The scheduler manager: filter and weigh pools, claim capacity in the DB, cast to the backend."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from common.context import RequestContext
from db import api as db
from db import errors as db_errors
from db.records import Pool, Volume
from rpc.errors import ServiceUnavailable
from scheduler.filters import RequestSpec, filter_pools
from scheduler.pool_cache import PoolCache
from scheduler.weighers import capacity_weigher
from volume import messages
from volume.client import VolumeClient
from volume.states.volumes import Status, edge

log = logging.getLogger(__name__)

BINARY = "ember-scheduler"


class SchedulerManager:
    def __init__(self, *, pool_cache: PoolCache, volume_client: VolumeClient) -> None:
        self._pools = pool_cache
        self._volumes = volume_client

    def create_volume(self, ctx: RequestContext, volume_id: str) -> None:
        """Place the volume on a pool, or end it in ``error`` with a reason the user can read.

        Safe to run twice: a volume already placed (or gone) is left alone.
        """
        volume = self._unplaced(volume_id)
        if volume is None:
            return
        spec = self._request_spec(volume)
        reason, all_closed = "no pool is known", False
        for refresh in (False, True):
            known, closed = self._pools.pools(refresh=refresh)
            open_pools = [pool for pool in known if pool.backend_host not in closed]
            candidates, emptied_by = filter_pools(open_pools, spec)
            for pool in capacity_weigher(candidates):
                if volume.group_id and not self._group_takes(volume.group_id, pool):
                    continue
                if db.volume_schedule(volume_id, pool_name=pool.name, size_gb=volume.size_gb,
                                      creating_status=str(Status.CREATING)):
                    self._pools.claimed(pool.name, volume.size_gb)
                    log.info("volume %s placed on %s", volume_id, pool.name)
                    self._cast_create(ctx, pool.backend_host, volume_id)
                    return
                if self._unplaced(volume_id) is None:
                    return  # another scheduler placed it, or it was deleted meanwhile
            reason = _why_none(known, open_pools, closed, emptied_by)
            all_closed = bool(known) and not open_pools
        self._fail(ctx, volume, f"no valid backend for {volume.size_gb} GB: {reason}",
                   messages.no_valid_backend(all_closed=all_closed))

    @staticmethod
    def _group_takes(group_id: str, pool: Pool) -> bool:
        """Whether the group's volumes live on the pool's backend: the first volume placed sets it."""
        return db.group_place(group_id, pool.backend_host) == pool.backend_host

    def _cast_create(self, ctx: RequestContext, backend_host: str, volume_id: str) -> None:
        try:
            self._volumes.create_volume(ctx, backend_host, volume_id=volume_id)
        except ServiceUnavailable as error:
            # The volume is placed: the backend's recovery picks it up when it is back.
            log.warning("could not reach %s for volume %s: %s", backend_host, volume_id, error.detail)

    @staticmethod
    def _unplaced(volume_id: str) -> Volume | None:
        try:
            volume = db.volume_get(volume_id)
        except db_errors.NotFound:
            return None
        return volume if volume.status == Status.CREATING and volume.host is None else None

    @staticmethod
    def _request_spec(volume: Volume) -> RequestSpec:
        extra_specs: Mapping[str, str] = {}
        if volume.volume_type_id:
            try:
                extra_specs = db.type_get(volume.volume_type_id).extra_specs
            except db_errors.NotFound:
                pass
        source_pool = None
        try:
            if volume.snapshot_id:
                source_pool = db.volume_get(db.snapshot_get(volume.snapshot_id).volume_id).host
            elif volume.source_volid:
                source_pool = db.volume_get(volume.source_volid).host
        except db_errors.NotFound:
            source_pool = "(source is gone)"
        wanted = dict(extra_specs)
        if volume.multiattach:  # asked for in the request (deprecated) rather than by the type
            wanted.setdefault("multiattach", "<is> True")
        backend_host = None
        if volume.group_id:
            try:
                backend_host = db.group_get(volume.group_id).host
            except db_errors.NotFound:
                backend_host = "(its group is gone)"
        return RequestSpec(size_gb=volume.size_gb, availability_zone=volume.availability_zone,
                           extra_specs=wanted, source_pool=source_pool, backend_host=backend_host)

    def _fail(self, ctx: RequestContext, volume: Volume, reason: str, message: messages.Message) -> None:
        """The volume ends in error: ``reason`` (backends, filters) goes to the log, ``message`` to its project."""
        log.warning("volume %s: %s", volume.id, reason)
        if db.volume_transition(volume.id, edge("create.fail"), status_reason=message.text):
            messages.post(message, project_id=volume.project_id, resource_uuid=volume.id, request_id=ctx.request_id)

    def reschedule_unplaced(self, *, older_than_s: float) -> int:
        """Place volumes whose request died with a scheduler (found by age, placed by CAS)."""
        ctx = RequestContext.service(BINARY)
        stale = db.volume_list_stale(statuses=frozenset({str(Status.CREATING)}), older_than_s=older_than_s,
                                     unplaced=True)
        for volume in stale:
            log.info("taking over unplaced volume %s", volume.id)
            self.create_volume(ctx, volume.id)
        return len(stale)


def _why_none(known: list[Pool], open_pools: list[Pool], closed: Mapping[str, str], emptied_by: str | None) -> str:
    """A readable reason no pool took the volume: which filter emptied the list, which backends are closed."""
    if not known:
        return "no backend has reported a pool"
    shut = "; ".join(f"{host} is {why}" for host, why in sorted(closed.items()))
    if not open_pools:
        return f"every backend is closed to new volumes ({shut})"
    reason = f"{emptied_by} found no pool" if emptied_by else "every pool filled up meanwhile"
    return f"{reason} (and closed to new volumes: {shut})" if shut else reason
