"""Options of the backup service itself: how many operations it runs, how fast it finds work and dead peers."""

from __future__ import annotations

from oslo_config import cfg

SERVICE_OPTS = [
    cfg.IntOpt("backup_max_operations", default=4, min=1,
               help="Backup, restore and delete operations one ember-backup runs at once; it takes no more "
                    "work while that many run (its peers do). Memory per operation: see backup_chunk_size."),
    cfg.FloatOpt("backup_poll_interval_s", default=1.0, min=0.05,
                 help="Seconds between an ember-backup's looks for waiting work (and for dead peers' work)."),
    cfg.FloatOpt("backup_lease_ttl_s", default=5.0, min=1.0,
                 help="Seconds an ember-backup's lease lasts without renewal (renewed every quarter of it): a "
                      "peer takes over the work of one killed -9 within about this plus the poll interval."),
    cfg.IntOpt("backup_volume_timeout_s", default=600, min=1,
               help="Seconds the backup service waits for the volume service (a data location, a temporary "
                    "snapshot, a new volume to restore into)."),
]


def register(conf: cfg.ConfigOpts) -> None:
    conf.register_opts(SERVICE_OPTS)
