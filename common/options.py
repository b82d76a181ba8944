"""Options every ember process shares: identity, API listener, quotas, auth, timers.

Each folder that owns options declares them in its own ``options.py``; this module holds
the ``[DEFAULT]`` ones that do not belong to a single service.
"""

from __future__ import annotations

import socket

from oslo_config import cfg

DEFAULT_OPTS = [
    cfg.StrOpt("host", default=socket.gethostname(), sample_default="<hostname>",
               help="Name of this node; volume services are addressed as host@backend."),
    cfg.StrOpt("state_path", default="~/.local/share/ember",
               help="Folder for local state: the embedded SQLite DB and the file driver's share."),
    cfg.StrOpt("storage_availability_zone", default="nova",
               help="Availability zone reported by the volume services of this node."),
    cfg.StrOpt("default_availability_zone", default=None,
               help="Zone given to volumes created without one (default: storage_availability_zone)."),
    cfg.StrOpt("default_volume_type", default="__DEFAULT__",
               help="Volume type given to volumes created without one."),
    cfg.StrOpt("auth_strategy", default="noauth", choices=["noauth"],
               help="How the API authenticates callers. noauth takes X-Auth-Token as user:project."),
    cfg.ListOpt("noauth_admin_projects", default=[],
                help="Projects whose callers are admin under noauth. Empty: every caller is admin, "
                     "as in Cinder."),
    cfg.IntOpt("quota_volumes", default=10, help="Default number of volumes a project may have (-1: no limit)."),
    cfg.IntOpt("quota_snapshots", default=10, help="Default number of snapshots a project may have (-1: no limit)."),
    cfg.IntOpt("quota_gigabytes", default=1000,
               help="Default gigabytes of volumes and snapshots a project may have (-1: no limit)."),
    cfg.IntOpt("quota_backups", default=10, help="Default number of backups a project may have (-1: no limit)."),
    cfg.IntOpt("quota_backup_gigabytes", default=1000, help="Default backup gigabytes per project (-1: no limit)."),
    cfg.IntOpt("report_interval", default=5, min=1,
               help="Seconds between a service's heartbeats and capability reports."),
    cfg.IntOpt("service_down_time", default=30, min=1,
               help="Seconds without a heartbeat after which a service is shown as down."),
    cfg.IntOpt("rpc_response_timeout_s", default=30, min=1, help="Seconds an RPC call waits for its answer."),
]


def register(conf: cfg.ConfigOpts) -> None:
    conf.register_opts(DEFAULT_OPTS)
