"""ember-api: load the config, open the DB, serve the Cinder v3 API with uvicorn."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence

import uvicorn
from fastapi import FastAPI
from oslo_config import cfg

import db.options
import db.session
import rpc.options
from api import options
from api.app import create_app
from common import config, log

FACTORY = "api.service:worker_app"
_ARGV_ENV = "EMBER_API_ARGV"  # how the parent hands its command line to spawned workers


def _load(argv: Sequence[str] | None) -> cfg.ConfigOpts:
    conf = config.load(argv, [db.options.register, rpc.options.register, options.register])
    log.setup("ember-api", conf.host)
    db.session.configure(conf, url=conf.database.connection or db.session.default_url(config.state_path(conf)))
    return conf


def worker_app() -> FastAPI:
    """The app of one uvicorn worker process (``workers > 1`` needs an import string).

    Each worker parses the parent's command line again: uvicorn's workers are spawned processes.
    """
    argv = json.loads(os.environ[_ARGV_ENV]) if _ARGV_ENV in os.environ else sys.argv[1:]
    return create_app(_load(argv))


def main(argv: Sequence[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    conf = _load(argv)
    common = {"host": conf.osapi_volume_listen, "port": conf.osapi_volume_listen_port, "loop": "uvloop",
              "http": "httptools", "log_level": "warning", "access_log": False}
    if conf.osapi_volume_workers > 1:
        os.environ[_ARGV_ENV] = json.dumps(list(argv))
        uvicorn.run(FACTORY, factory=True, workers=conf.osapi_volume_workers, **common)
    else:
        uvicorn.run(create_app(conf), **common)
