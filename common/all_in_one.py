"""``ember-all``: every ember service in one process — the embedded default.

SQLite under state_path, oslo.messaging's in-process ``fake://`` transport, the file
driver on a local folder, the API on 127.0.0.1:8776. This launcher is the one module
that imports every service; nothing imports it.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence

from oslo_config import cfg

from common import config
from common import log as ember_log
from common.service import ServiceRunner
from db import migrate, session
from db import options as db_options
from rpc import options as rpc_options
from scheduler import options as scheduler_options
from volume import options as volume_options

log = logging.getLogger(__name__)


def _registrars() -> list[config.Registrar]:
    from api import options as api_options

    return [db_options.register, rpc_options.register, scheduler_options.register, volume_options.register,
            api_options.register]


def start_services(conf: cfg.ConfigOpts) -> list[ServiceRunner]:
    """Start scheduler, volume and backup services in this process (the DB must be configured)."""
    from backup import service as backup_service
    from scheduler import service as scheduler_service
    from volume import service as volume_service

    runners = [scheduler_service.build_runner(conf), volume_service.build_runner(conf),
               backup_service.build_runner(conf)]
    for runner in runners:
        runner.start()
    return runners


def load(argv: Sequence[str]) -> cfg.ConfigOpts:
    return config.load(argv, _registrars())


def main(argv: Sequence[str] | None = None) -> int:
    import uvicorn

    from api.app import create_app

    conf = load(sys.argv[1:] if argv is None else argv)
    ember_log.setup("ember-all", conf.host)
    url = conf.database.connection or session.default_url(config.state_path(conf))
    migrate.upgrade(session.configure(conf, url=url))
    runners = start_services(conf)
    host, port = conf.osapi_volume_listen, conf.osapi_volume_listen_port
    log.info("ember is up: http://%s:%s/v3 (state in %s)", host, port, config.state_path(conf))
    print(f"ember is running at http://{host}:{port}/v3  (state: {config.state_path(conf)}; Ctrl-C stops it)",
          flush=True)
    try:
        uvicorn.run(create_app(conf), host=host, port=port, loop="uvloop", http="httptools",
                    log_level="warning", access_log=False)
    finally:
        for runner in runners:
            runner.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
