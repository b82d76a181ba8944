"""Options every ember process shares: identity, API listener, quotas, auth, timers.

Each folder that owns options declares them in its own ``options.py``; this module holds
the ``[DEFAULT]`` ones that do not belong to a single service.
"""

from __future__ import annotations

import socket

from oslo_config import cfg

_NOAUTH = ("X-Auth-Token is user:project and the caller is whoever it names: for development only (the "
           "embedded default)")
_KEYSTONE = "Keystone tokens, validated by keystonemiddleware as [keystone_authtoken] says"

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
    cfg.StrOpt("auth_strategy", default="noauth",
               choices=[("noauth", _NOAUTH), ("keystone", _KEYSTONE)],
               help="How the API authenticates callers. Under noauth anyone who reaches the API is whoever "
                    "they claim to be; use keystone for anything but development."),
    cfg.ListOpt("noauth_admin_projects", default=[],
                help="noauth only, and its only isolation: the projects whose callers get the admin role "
                     "(the others get member and reader, and the same policy as under Keystone judges them). "
                     "Empty: every caller is admin, as in Cinder's noauth."),
    cfg.IntOpt("quota_volumes", default=10, help="Default number of volumes a project may have (-1: no limit)."),
    cfg.IntOpt("quota_snapshots", default=10, help="Default number of snapshots a project may have (-1: no limit)."),
    cfg.IntOpt("quota_gigabytes", default=1000,
               help="Default gigabytes of volumes and snapshots a project may have (-1: no limit)."),
    cfg.IntOpt("quota_backups", default=10, help="Default number of backups a project may have (-1: no limit)."),
    cfg.IntOpt("quota_backup_gigabytes", default=1000, help="Default backup gigabytes per project (-1: no limit)."),
    cfg.IntOpt("quota_groups", default=10,
               help="Default number of volume groups a project may have (-1: no limit). ember has no groups yet; "
                    "the limit is shown and kept as Cinder's quota sets carry it."),
    cfg.IntOpt("per_volume_size_limit", default=-1,
               help="Default largest size in GB of one volume (-1: no limit); a project's per_volume_gigabytes "
                    "quota overrides it."),
    cfg.IntOpt("report_interval", default=5, min=1,
               help="Seconds between a service's heartbeats and capability reports."),
    cfg.IntOpt("service_down_time", default=30, min=1,
               help="Seconds without a heartbeat after which a service is shown as down."),
    cfg.IntOpt("rpc_response_timeout_s", default=30, min=1, help="Seconds an RPC call waits for its answer."),
    cfg.IntOpt("attachment_unfinished_after_s", default=3600, min=60, deprecated_name="attachment_expiry_s",
               help="Seconds after which an attachment connected to a host and never completed (os-complete) "
                    "is reported: a user message to its project (once), and a line in the answer of "
                    "workers/cleanup (ember-manage cleanup). Nothing ends it on a timer, since its host may be "
                    "using the volume: an attachment delete, os-force_detach, or workers/cleanup with "
                    "detach_unfinished_attachments (ember-manage cleanup --detach-unfinished-attachments) does."),
    cfg.BoolOpt("debug", default=False, help="Log at DEBUG level."),
]


COORDINATION_OPTS = [
    cfg.StrOpt("backend_url", default="sql://",
               help="Who elects each backend's active volume service, and where services register: sql:// "
                    "(a lease row in ember's own database), etcd3+http://HOST:PORT[,HOST:PORT...] (every "
                    "member of the etcd cluster: the client moves on when one does not answer) or "
                    "consul://HOST:PORT (a Consul session and KV lock per backend; every service also "
                    "registers in the Consul catalog with a TTL health check)."),
    cfg.FloatOpt("lease_ttl_s", default=1.5, min=1.0,
                 help="Seconds a backend's active volume service holds its lease without renewing it (it "
                      "renews every quarter of that): after a kill -9, a standby takes over within about "
                      "this long. The active stops acting before its lease ends."),
    cfg.FloatOpt("standby_poll_s", default=0.25, min=0.05,
                 help="Seconds between a standby volume service's attempts to take its backend's lease."),
]


def register(conf: cfg.ConfigOpts) -> None:
    conf.register_opts(DEFAULT_OPTS)
    conf.register_opts(COORDINATION_OPTS, group="coordination")
