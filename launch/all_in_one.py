"""``ember-all``: every ember service in one process — the embedded default.

SQLite under state_path, oslo.messaging's in-process ``fake://`` transport, the SQL lease for
the election, the file driver on a local folder, the API on 127.0.0.1:8776.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence

from oslo_config import cfg

from api.app import create_app
from backup import service as backup_service
from common import binaries, config
from common import log as ember_log
from common.service import ServiceRunner
from db import migrate, session
from db.errors import SecretKeyError
from launch import opts
from launch.housekeeping import idempotency_purge_task
from launch.presence import add_presence
from launch.services import cannot_start, serve_api
from rpc import transport
from scheduler import service as scheduler_service
from volume import service as volume_service
from volume.errors import BackendCannotStart

log = logging.getLogger(__name__)


def start_services(conf: cfg.ConfigOpts) -> list[ServiceRunner]:
    """Start scheduler, volume and backup services in this process (the DB must be configured)."""
    scheduler = scheduler_service.build_runner(conf)
    add_presence(scheduler, conf, binary=binaries.SCHEDULER, topic=transport.SCHEDULER_TOPIC)
    backup = backup_service.build_runner(conf)
    add_presence(backup, conf, binary=binaries.BACKUP, topic=transport.BACKUP_TOPIC)
    runners = [scheduler, volume_service.build_runner(conf), backup]
    for runner in runners:
        runner.start()
    return runners


def main(argv: Sequence[str] | None = None) -> int:
    conf = opts.load("ember-all", sys.argv[1:] if argv is None else argv)
    ember_log.setup("ember-all", conf.host, debug=conf.debug)
    url = conf.database.connection or session.default_url(config.state_path(conf))
    try:
        engine = session.configure(conf, url=url)
    except SecretKeyError as error:
        raise SystemExit(f"ember-all: {error}") from None
    migrate.upgrade(engine)
    try:
        runners = start_services(conf)
    except BackendCannotStart as exc:
        return cannot_start("ember-all", exc)
    housekeeping = ServiceRunner(name="housekeeping", tasks=[idempotency_purge_task(conf)])
    housekeeping.start()
    runners.append(housekeeping)
    host, port = conf.osapi_volume_listen, conf.osapi_volume_listen_port
    log.info("ember is up: http://%s:%s/v3 (state in %s)", host, port, config.state_path(conf))
    print(f"ember is running at http://{host}:{port}/v3  (state: {config.state_path(conf)}; Ctrl-C stops it)",
          flush=True)
    try:
        serve_api(create_app(conf), conf)
    finally:
        for runner in runners:
            runner.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
