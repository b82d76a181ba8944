"""``main`` of ember-api, ember-scheduler, ember-volume and ember-backup.

Each loads its options from ``launch.opts``, sets up logging and the DB, builds its service
from the service's own module and runs until SIGTERM or SIGINT.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from collections.abc import Sequence
from types import FrameType
from typing import TYPE_CHECKING, Any

from oslo_config import cfg

from common import binaries, config, log
from common.service import ServiceRunner
from db import session
from db.errors import SecretKeyError
from launch import opts
from launch.housekeeping import idempotency_purge_task
from launch.presence import add_presence
from rpc import transport
from volume.errors import BackendCannotStart

if TYPE_CHECKING:
    from starlette.applications import Starlette  # the api's alone: the other services never import it

_API_ARGV_ENV = "EMBER_API_ARGV"  # how the api parent hands its command line to spawned workers


def setup(process: str, argv: Sequence[str] | None) -> cfg.ConfigOpts:
    conf = opts.load(process, sys.argv[1:] if argv is None else argv)
    log.setup(process, conf.host, debug=conf.debug)
    try:
        session.configure(conf, url=conf.database.connection or session.default_url(config.state_path(conf)))
    except SecretKeyError as error:
        raise SystemExit(f"{process}: {error}") from None
    return conf


def cannot_start(process: str, error: BackendCannotStart) -> int:
    """What the operator must fix before the process can start (a package to install): one line, exit 1."""
    print(f"{process}: {error}", file=sys.stderr, flush=True)
    return 1


def _run(runner: ServiceRunner) -> int:
    runner.start()
    runner.wait_for_signal()
    return 0


class _StopRequested(Exception):
    pass


def _stop_requested(signum: int, frame: FrameType | None) -> None:
    raise _StopRequested


def serve_api(app: Starlette | str, conf: cfg.ConfigOpts, **options: Any) -> None:
    """Serve the api with uvicorn until SIGTERM or SIGINT; return (not die) once it has stopped serving.

    uvicorn stops on those signals and then raises the signal again for the handler it found: these
    handlers turn it into an exception, so the caller's clean-up (services handing their leases over,
    the presence row) runs before the process exits 0, instead of the signal's default action killing it.
    """
    import uvicorn

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _stop_requested)
    try:
        # links follow proxy headers only as [oslo_middleware] enable_proxy_headers_parsing says (the api's
        # own middleware), never as uvicorn's, which trusts any client on loopback
        uvicorn.run(app, host=conf.osapi_volume_listen, port=conf.osapi_volume_listen_port, loop="uvloop",
                    http="httptools", log_level="warning", access_log=False, proxy_headers=False,
                    log_config=None, **options)  # log_config=None: its records go through ember's handler
    except _StopRequested:
        pass


def api(argv: Sequence[str] | None = None) -> int:
    from api.app import create_app

    argv = list(sys.argv[1:] if argv is None else argv)
    conf = setup("ember-api", argv)
    presence = ServiceRunner(name=binaries.API)
    add_presence(presence, conf, binary=binaries.API, topic="")
    presence.tasks.append(idempotency_purge_task(conf))
    presence.start()
    try:
        if conf.osapi_volume_workers > 1:
            os.environ[_API_ARGV_ENV] = json.dumps(argv)
            serve_api("launch.services:api_worker_app", conf, factory=True, workers=conf.osapi_volume_workers)
        else:
            serve_api(create_app(conf), conf)
    finally:
        presence.stop()
    return 0


def api_worker_app() -> Starlette:
    """The app of one uvicorn worker process (``workers > 1`` needs an import string).

    Each worker parses the parent's command line again: uvicorn's workers are spawned processes.
    """
    from api.app import create_app

    argv = json.loads(os.environ[_API_ARGV_ENV]) if _API_ARGV_ENV in os.environ else sys.argv[1:]
    return create_app(setup("ember-api", argv))


def scheduler(argv: Sequence[str] | None = None) -> int:
    from scheduler.service import build_runner

    conf = setup("ember-scheduler", argv)
    runner = build_runner(conf)
    add_presence(runner, conf, binary=binaries.SCHEDULER, topic=transport.SCHEDULER_TOPIC)
    return _run(runner)


def volume(argv: Sequence[str] | None = None) -> int:
    from volume.service import build_runner

    conf = setup("ember-volume", argv)
    try:
        runner = build_runner(conf)
    except BackendCannotStart as exc:
        return cannot_start("ember-volume", exc)
    return _run(runner)


def backup(argv: Sequence[str] | None = None) -> int:
    from backup.service import build_runner

    conf = setup("ember-backup", argv)
    runner = build_runner(conf)
    add_presence(runner, conf, binary=binaries.BACKUP, topic=transport.BACKUP_TOPIC)
    return _run(runner)
