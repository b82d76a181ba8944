"""Options of the volume service."""

from __future__ import annotations

from oslo_config import cfg

VOLUME_OPTS = [
    cfg.ListOpt("enabled_backends", default=["file-1"],
                help="Backends this node's volume service runs; each has a section of its own."),
    cfg.IntOpt("stuck_work_after_s", default=15, min=5,
               help="Seconds after which a volume or snapshot left in a transient status, with no "
                    "operation running on it, is picked up again (resumed or failed)."),
    cfg.IntOpt("volume_copy_bps_limit", default=0, min=0,
               help="Bytes per second a migration's copy between backends may read at most (0: no limit), "
                    "so that it leaves the storage to the volumes in use."),
]


def register(conf: cfg.ConfigOpts) -> None:
    conf.register_opts(VOLUME_OPTS)
