"""``ember-backup``: runs backup create, restore and delete, active/active with its peers.

Every process holds a lease of its own (``backup.lease``), takes waiting work from the database while
it has free slots, and takes over the work of a peer whose lease ran out (``backup.manager``).
"""

from __future__ import annotations

import functools
import logging

from oslo_config import cfg

from backup.configured import backup_store, engine_settings
from backup.lease import ServiceLease
from backup.manager import BackupManager
from backup.volume_access import VolumeAccess
from common import binaries
from common.service import PeriodicTask, ServiceRunner

log = logging.getLogger(__name__)

BINARY = binaries.BACKUP


def build_manager(conf: cfg.ConfigOpts) -> BackupManager:
    return BackupManager(node=conf.host, store=backup_store(conf), settings=engine_settings(conf),
                         max_operations=conf.backup_max_operations,
                         access=VolumeAccess(timeout_s=conf.backup_volume_timeout_s))


def build_runner(conf: cfg.ConfigOpts) -> ServiceRunner:
    runner = ServiceRunner(name=BINARY)
    manager = build_manager(conf)
    ttl_s = conf.backup_lease_ttl_s
    lease = ServiceLease(manager.fence, name=manager.name, node=conf.host, ttl_s=ttl_s)
    runner.tasks += [
        PeriodicTask("backup-lease", ttl_s / 4, lease.keep),
        PeriodicTask("backup-work", conf.backup_poll_interval_s, manager.poll),
        PeriodicTask("backup-peers", conf.backup_poll_interval_s,
                     functools.partial(manager.adopt_dead_peers, lease_ttl_s=ttl_s), run_at_start=False),
    ]
    runner.on_stop += [manager.stop, lease.release]  # the operations stop first, then peers may take them
    log.info("ember-backup %s: up to %d operations at once, storing to %s", manager.name,
             conf.backup_max_operations, conf.backup_store)
    return runner
