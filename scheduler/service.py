"""``ember-scheduler``: competes with its peers on the shared scheduler queue (its heartbeat: launch.presence)."""

from __future__ import annotations

import logging
import os

from oslo_config import cfg

from common.service import PeriodicTask, ServiceRunner
from rpc import transport
from scheduler.endpoint import SchedulerEndpoint
from scheduler.manager import BINARY, SchedulerManager
from scheduler.pool_cache import PoolCache
from volume.client import VolumeClient

log = logging.getLogger(__name__)


def build_runner(conf: cfg.ConfigOpts) -> ServiceRunner:
    cache = PoolCache(ttl_s=conf.scheduler_pool_cache_s, fresh_within_s=conf.service_down_time)
    manager = SchedulerManager(pool_cache=cache, volume_client=VolumeClient())
    # every scheduler has its own server name as well as the shared topic
    server_name = f"{conf.host}-{os.getpid()}"
    runner = ServiceRunner(name=BINARY)
    runner.servers.append(transport.server(transport.SCHEDULER_TOPIC, server_name=server_name,
                                           endpoints=[SchedulerEndpoint(manager)], conf=conf))

    runner.tasks.append(PeriodicTask(
        "reschedule-unplaced", conf.scheduler_unplaced_after_s / 2,
        lambda: manager.reschedule_unplaced(older_than_s=conf.scheduler_unplaced_after_s), run_at_start=False))
    return runner

