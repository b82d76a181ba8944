"""Options of one backend section (``[file-1]``, ``[lvm-1]`` ...), registered per enabled backend.

The volume service calls :func:`register_backend` for each name in ``enabled_backends``.
"""

from __future__ import annotations

from oslo_config import cfg

SAMPLE_GROUP = "backend"


def _backend_opts(backend_name: str) -> list[cfg.Opt]:
    return [
        cfg.StrOpt("volume_driver", default="file",
                   help="Driver of this backend: 'file' (NFS-style files made with qemu-img), 'noop' "
                        "(benchmarks only: stores nothing), or a class as 'package.module:Class'."),
        cfg.StrOpt("volume_backend_name", default=backend_name, sample_default="<section name>",
                   help="Backend name reported to the scheduler and matched by the volume type "
                        "extra spec volume_backend_name."),
        cfg.IntOpt("reserved_percentage", default=0, min=0, max=100,
                   help="Percentage of the backend's total capacity kept free of new volumes."),
        cfg.FloatOpt("max_over_subscription_ratio", default=20.0, min=1.0,
                     help="For thin-provisioned pools: how many times the total capacity may be "
                          "provisioned."),
        cfg.StrOpt("backend_host", default=None,
                    help="The host part of this backend's identity (host@backend) instead of [DEFAULT] host: "
                         "give the same value on every node whose volume service serves this backend, "
                         "so that one of them is active and the others stand by (Cinder's backend_host)."),
        cfg.StrOpt("backend_availability_zone", default=None,
                   help="Availability zone of this backend. Default: [DEFAULT] "
                        "storage_availability_zone."),
        cfg.StrOpt("file_share_path", default=None,
                   help="file driver: folder that holds the volume and snapshot files (an NFS mount "
                        "in production). Default: <state_path>/volumes/<section name>."),
        cfg.IntOpt("file_capacity_gb", default=0, min=0,
                   help="file driver: total capacity to report, in GiB. 0: the size of the filesystem "
                        "that holds file_share_path."),
        cfg.BoolOpt("file_sparse", default=True,
                    help="file driver: create sparse files and report thin provisioning. False: "
                         "allocate every byte when a volume is created."),
        cfg.IntOpt("noop_capacity_gb", default=100000, min=0,
                   help="noop driver: total capacity to report, in GiB."),
        cfg.IntOpt("noop_delay_ms", default=0, min=0,
                   help="noop driver: milliseconds each operation sleeps, to mimic a real backend."),
    ]


def register_backend(conf: cfg.ConfigOpts, backend_name: str) -> None:
    """Register the backend options on group ``backend_name``; registering twice is harmless."""
    conf.register_opts(_backend_opts(backend_name), group=backend_name)


def availability_zone(conf: cfg.ConfigOpts, backend_name: str) -> str:
    zone: str | None = conf[backend_name].backend_availability_zone
    return zone or str(conf.storage_availability_zone)


def list_opts() -> list[tuple[str, list[cfg.Opt]]]:
    """For oslo-config-generator: the options of one backend section, under a placeholder name."""
    return [(SAMPLE_GROUP, _backend_opts(SAMPLE_GROUP))]
