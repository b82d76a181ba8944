"""``ember-backup``: registers and heartbeats; backup and restore arrive with the backup issue."""

from __future__ import annotations

import logging
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

log = logging.getLogger(__name__)

BINARY = "ember-backup"


def build_runner(conf: cfg.ConfigOpts) -> ServiceRunner:
    def heartbeat() -> None:
        db.service_heartbeat(host=conf.host, binary=BINARY, topic=transport.BACKUP_TOPIC,
                             availability_zone=conf.storage_availability_zone)

    return ServiceRunner(name=BINARY, tasks=[PeriodicTask("heartbeat", conf.report_interval, heartbeat)])


def main(argv: Sequence[str] | None = None) -> int:
    conf = config.load(sys.argv[1:] if argv is None else argv, [db_options.register, rpc_options.register])
    ember_log.setup(BINARY, conf.host)
    session.configure(conf, url=conf.database.connection or session.default_url(config.state_path(conf)))
    runner = build_runner(conf)
    runner.start()
    log.info("%s running", BINARY)
    runner.wait_for_signal()
    return 0
