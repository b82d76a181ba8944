"""``ember-volume``: for each enabled backend, a manager and its supervisor (active/passive), reports, recovery.

Several ember-volume processes may serve one backend: they share its identity
(``backend_host@backend``, the ``backend_host`` option) and differ by node (``host``). Only the
elected active consumes the backend's queue and calls the driver (``volume.ha``); every process
heartbeats with its role, and only the active reports the pools, recovers unfinished work and reports
attachments its clients never completed.
"""

from __future__ import annotations

import functools
import logging

from oslo_config import cfg

from common import discovery
from common.service import PeriodicTask, ServiceRunner, heartbeat_task
from drivers import options as driver_options
from drivers.errors import DriverError
from drivers.registry import load_driver
from rpc import transport
from volume import election
from volume.client import BINARY
from volume.errors import BackendCannotStart
from volume.ha import BackendSupervisor, RpcServer
from volume.manager import BackendIdentity, VolumeManager
from volume.recovery import resume_stuck_work
from volume.unfinished import UnfinishedAttachments

log = logging.getLogger(__name__)


def build_manager(conf: cfg.ConfigOpts, backend: str) -> VolumeManager:
    """The backend's manager over its set-up driver; raise :class:`BackendCannotStart` if the driver fails set-up."""
    driver_options.register_backend(conf, backend)
    section = conf[backend]
    identity = BackendIdentity(
        backend_host=f"{section.backend_host or conf.host}@{backend}",
        backend_name=section.volume_backend_name or backend,
        availability_zone=section.backend_availability_zone or conf.storage_availability_zone,
        reserved_percentage=section.reserved_percentage,
        max_over_subscription_ratio=section.max_over_subscription_ratio,
        service_host=conf.host,
    )
    try:
        driver = load_driver(conf, backend)
        driver.setup()
    except DriverError as exc:
        raise BackendCannotStart(backend, exc) from exc
    return VolumeManager(driver=driver, identity=identity, copy_bps_limit=conf.volume_copy_bps_limit)


def build_runner(conf: cfg.ConfigOpts) -> ServiceRunner:
    runner = ServiceRunner(name=BINARY)
    elector = election.connect(conf)
    registry = discovery.connect(conf.coordination.backend_url, check_ttl_s=conf.service_down_time)
    for backend in conf.enabled_backends:
        manager = build_manager(conf, backend)
        supervisor = BackendSupervisor(
            manager=manager, elector=elector, standby_poll_s=conf.coordination.standby_poll_s,
            make_server=functools.partial(_server, conf, manager),
            recover=functools.partial(_take_over, manager))
        runner.parts.append(supervisor)
        record = discovery.ServiceRecord(binary=BINARY, host=manager.identity.backend_host, node=conf.host,
                                         zone=manager.identity.availability_zone, backend=backend)
        heartbeat = heartbeat_task(conf.report_interval, beat=manager.heartbeat, registry=registry, service=record,
                                   role=functools.partial(getattr, supervisor, "role"))
        supervisor.on_change(heartbeat.run)
        supervisor.on_death(functools.partial(runner.fail, f"the HA supervisor of {backend}"))
        runner.tasks += [
            heartbeat,
            PeriodicTask(f"pools:{backend}", conf.report_interval, manager.report_pools),
            # also rebuilds a restarted target daemon's exports (tgtd keeps none across a restart)
            PeriodicTask(f"exports:{backend}", conf.report_interval, manager.ensure_exports),
            PeriodicTask(f"recover:{backend}", conf.stuck_work_after_s / 3,
                         functools.partial(resume_stuck_work, manager, older_than_s=conf.stuck_work_after_s),
                         run_at_start=False),
            PeriodicTask(f"unfinished:{backend}", conf.stuck_work_after_s / 3,
                         UnfinishedAttachments(manager, after_s=conf.attachment_unfinished_after_s).report,
                         run_at_start=False),
        ]
        runner.on_stop.append(functools.partial(registry.deregister, record))
    log.info("ember-volume serving backends %s", ", ".join(conf.enabled_backends))
    return runner


def _take_over(manager: VolumeManager) -> None:
    """What a new active does first: finish what its predecessor left, and bring every export back."""
    resume_stuck_work(manager, older_than_s=0)
    manager.ensure_exports()


def _server(conf: cfg.ConfigOpts, manager: VolumeManager) -> RpcServer:
    """The backend's RPC server, made when this process becomes the active: a standby never loads oslo.messaging."""
    from volume.endpoint import VolumeEndpoint

    server: RpcServer = transport.server(transport.VOLUME_TOPIC, server_name=manager.identity.backend_host,
                                         endpoints=[VolumeEndpoint(manager)], conf=conf)
    return server
