"""``ember-scheduler``: competes with its peers on the shared scheduler queue."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence

from oslo_config import cfg

from common import config
from common import log as ember_log
from common.service import PeriodicTask, ServiceRunner
from db import api as db
from db import options as db_options
from db import session
from rpc import options as rpc_options
from rpc import transport
from scheduler import options as scheduler_options
from scheduler.endpoint import SchedulerEndpoint
from scheduler.manager import BINARY, SchedulerManager
from scheduler.pool_cache import PoolCache
from volume.client import VolumeClient

log = logging.getLogger(__name__)


def build_runner(conf: cfg.ConfigOpts) -> ServiceRunner:
    cache = PoolCache(ttl_s=conf.scheduler_pool_cache_s, fresh_within_s=conf.service_down_time)
    manager = SchedulerManager(pool_cache=cache, volume_client=VolumeClient())
    # every scheduler has its own server name, so each gets the capability fanouts
    server_name = f"{conf.host}-{os.getpid()}"
    runner = ServiceRunner(name=BINARY)
    runner.servers.append(transport.server(transport.SCHEDULER_TOPIC, server_name=server_name,
                                           endpoints=[SchedulerEndpoint(manager)], conf=conf))

    def heartbeat() -> None:
        db.service_heartbeat(host=conf.host, binary=BINARY, topic=transport.SCHEDULER_TOPIC,
                             availability_zone=conf.storage_availability_zone)

    runner.tasks.append(PeriodicTask("heartbeat", conf.report_interval, heartbeat))
    runner.tasks.append(PeriodicTask(
        "reschedule-unplaced", conf.scheduler_unplaced_after_s / 2,
        lambda: manager.reschedule_unplaced(older_than_s=conf.scheduler_unplaced_after_s), run_at_start=False))
    return runner


def main(argv: Sequence[str] | None = None) -> int:
    conf = config.load(sys.argv[1:] if argv is None else argv,
                       [db_options.register, rpc_options.register, scheduler_options.register])
    ember_log.setup(BINARY, conf.host)
    session.configure(conf, url=conf.database.connection or session.default_url(config.state_path(conf)))
    runner = build_runner(conf)
    runner.start()
    log.info("%s running", BINARY)
    runner.wait_for_signal()
    return 0
