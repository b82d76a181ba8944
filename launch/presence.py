"""A service process's presence: its services-table heartbeat and, with Consul, its catalog entry.

The volume service keeps one per backend itself (with its HA role); the api, scheduler and
backup services get theirs here.
"""

from __future__ import annotations

from oslo_config import cfg

from common import discovery
from common.service import ServiceRunner, heartbeat_task
from db import api as db


def registry_of(conf: cfg.ConfigOpts) -> discovery.Registry:
    return discovery.connect(conf.coordination.backend_url, check_ttl_s=conf.service_down_time)


def add_presence(runner: ServiceRunner, conf: cfg.ConfigOpts, *, binary: str, topic: str) -> None:
    registry = registry_of(conf)
    record = discovery.ServiceRecord(binary=binary, host=conf.host, node=conf.host,
                                     zone=conf.storage_availability_zone)

    def beat(role: str | None) -> None:
        db.service_heartbeat(host=record.host, binary=binary, topic=topic, availability_zone=record.zone)

    runner.tasks.append(heartbeat_task(conf.report_interval, beat=beat, registry=registry, service=record))
    runner.on_stop.append(lambda: registry.deregister(record))
