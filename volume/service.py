"""``ember-volume``: one manager per enabled backend, its RPC server, reports and recovery."""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Sequence

from oslo_config import cfg

from common import config
from common import log as ember_log
from common.service import PeriodicTask, ServiceRunner
from db import options as db_options
from db import session
from drivers import options as driver_options
from drivers.registry import load_driver
from rpc import options as rpc_options
from rpc import transport
from volume import options as volume_options
from volume.endpoint import VolumeEndpoint
from volume.manager import BackendIdentity, VolumeManager
from volume.recovery import resume_stuck_work

log = logging.getLogger(__name__)


def register(conf: cfg.ConfigOpts) -> None:
    volume_options.register(conf)


def build_manager(conf: cfg.ConfigOpts, backend: str) -> VolumeManager:
    driver_options.register_backend(conf, backend)
    section = conf[backend]
    identity = BackendIdentity(
        backend_host=f"{conf.host}@{backend}",
        backend_name=section.volume_backend_name or backend,
        availability_zone=section.backend_availability_zone or conf.storage_availability_zone,
        reserved_percentage=section.reserved_percentage,
        max_over_subscription_ratio=section.max_over_subscription_ratio,
        service_host=conf.host,
    )
    driver = load_driver(conf, backend)
    driver.setup()
    return VolumeManager(driver=driver, identity=identity)


def build_runner(conf: cfg.ConfigOpts) -> ServiceRunner:
    runner = ServiceRunner(name="ember-volume")
    for backend in conf.enabled_backends:
        manager = build_manager(conf, backend)
        runner.servers.append(transport.server(transport.VOLUME_TOPIC, server_name=manager.identity.backend_host,
                                               endpoints=[VolumeEndpoint(manager)], conf=conf))
        runner.tasks.append(PeriodicTask(f"report-{backend}", conf.report_interval, manager.report))
        runner.tasks.append(PeriodicTask(f"recover-{backend}", conf.stuck_work_after_s / 2,
                                         functools.partial(resume_stuck_work, manager,
                                                           older_than_s=conf.stuck_work_after_s)))
        # Right after start nothing of this backend is running here: replay all of it.
        resume_stuck_work(manager, older_than_s=0)
    return runner


def main(argv: Sequence[str] | None = None) -> int:
    conf = config.load(sys.argv[1:] if argv is None else argv,
                       [db_options.register, rpc_options.register, register])
    ember_log.setup("ember-volume", conf.host, debug=conf.debug if "debug" in conf else False)
    session.configure(conf, url=conf.database.connection or session.default_url(config.state_path(conf)))
    runner = build_runner(conf)
    runner.start()
    log.info("ember-volume running backends %s", ", ".join(conf.enabled_backends))
    runner.wait_for_signal()
    return 0
