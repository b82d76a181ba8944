"""Options of the scheduler."""

from __future__ import annotations

from oslo_config import cfg

SCHEDULER_OPTS = [
    cfg.FloatOpt("scheduler_pool_cache_s", default=2.0, min=0,
                 help="Seconds a scheduler trusts its copy of the pools before reading them from the DB "
                      "again. Capability fanouts refresh it sooner; capacity is always claimed in the DB."),
    cfg.IntOpt("scheduler_unplaced_after_s", default=15, min=1,
               help="Seconds after which a scheduler takes over a volume that no scheduler placed "
                    "(its request was lost with a scheduler that died)."),
]


def register(conf: cfg.ConfigOpts) -> None:
    conf.register_opts(SCHEDULER_OPTS)
