"""Which options each ember process registers — the one table — and every option for the sample config.

Each folder that owns options declares them in its ``options.py`` with a ``register(conf)``;
``PROCESS_OPTIONS`` says which of them a process needs, and ``load`` registers them, then parses.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from oslo_config import cfg

from api import options as api_options
from backup import options as backup_options
from backup import service_options as backup_service_options
from common import config
from common import options as common_options
from db import options as db_options
from drivers import options as driver_options
from rpc import options as rpc_options
from scheduler import options as scheduler_options
from volume import options as volume_options

# oslo.messaging's options (and oslo.messaging itself) at start where every request needs them; the volume
# service registers them when it becomes its backend's active (a standby never does), the backup service
# when a backup first asks a volume service something: rpc.transport registers them with the transport
PROCESS_OPTIONS: dict[str, tuple[config.Registrar, ...]] = {
    "ember-api": (db_options.register, rpc_options.register, api_options.register),
    "ember-scheduler": (db_options.register, rpc_options.register, scheduler_options.register),
    "ember-volume": (db_options.register, volume_options.register),
    "ember-backup": (db_options.register, backup_options.register, backup_service_options.register),
    "ember-manage": (db_options.register, volume_options.register),
}
PROCESS_OPTIONS["ember-all"] = tuple(dict.fromkeys(r for regs in PROCESS_OPTIONS.values() for r in regs))
# registered once the file is parsed: whether a process needs them depends on what it says
OPTIONS_AFTER_PARSE: dict[str, tuple[config.Registrar, ...]] = {
    "ember-api": (api_options.register_auth,),
    "ember-all": (api_options.register_auth,),
}


def load(process: str, argv: Sequence[str] | None, **kwargs: Any) -> cfg.ConfigOpts:
    """Register ``process``'s options (the shared ones too) and parse ``argv``."""
    conf = config.load(argv, PROCESS_OPTIONS[process], **kwargs)
    for register in OPTIONS_AFTER_PARSE.get(process, ()):
        register(conf)
    return conf


def list_opts() -> list[tuple[str | None, list[Any]]]:
    """For oslo-config-generator (namespace ``ember``); oslo.messaging's come from its own namespace."""
    defaults = [*common_options.DEFAULT_OPTS, *volume_options.VOLUME_OPTS, *scheduler_options.SCHEDULER_OPTS,
                *api_options.API_OPTS, *backup_options.BACKUP_OPTS,
                *backup_service_options.SERVICE_OPTS]
    return [("DEFAULT", defaults), ("coordination", list(common_options.COORDINATION_OPTS)),
            ("database", list(db_options.DATABASE_OPTS)), ("keys", list(db_options.KEY_OPTS)),
            ("oslo_middleware", list(api_options.BODY_OPTS)),
            *driver_options.list_opts()]
