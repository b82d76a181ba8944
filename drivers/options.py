"""Options of one backend section (``[file-1]``, ``[lvm-1]`` ...), registered per enabled backend.

The volume service calls :func:`register_backend` for each name in ``enabled_backends``.
"""

from __future__ import annotations

from oslo_config import cfg

from common import options as common_options

SAMPLE_GROUP = "backend"


def _backend_opts(backend_name: str) -> list[cfg.Opt]:
    return [
        cfg.StrOpt("volume_driver", default="file",
                   help="Driver of this backend: 'lvm' (LVM logical volumes exported over iSCSI), 'nfs' "
                        "(files on NFS shares), 'file' (files in one local folder, no root and no "
                        "server: the embedded default), 'noop' (benchmarks only: stores nothing), or "
                        "a class as 'package.module:Class'."),
        cfg.StrOpt("root_helper", default="",
                   help="Prefix for the storage commands that need root (lvm, losetup, tgtadm, mount), "
                        "e.g. 'sudo' or 'sudo ember-rootwrap'. Empty: the service runs them itself."),
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
        # LVM driver and its iSCSI targets
        cfg.StrOpt("volume_group", default="ember-volumes",
                   help="lvm driver: the volume group whose logical volumes are the volumes."),
        cfg.ListOpt("lvm_devices", default=[],
                    help="lvm driver: the physical volumes of volume_group; lvm2 then scans only these "
                         "(other volume groups of the host are never touched). Empty: lvm2's own filter."),
        cfg.StrOpt("lvm_activation", default="activate", choices=[
                       ("activate", "LVs are activated through device-mapper; copy-on-write snapshots"),
                       ("loop", ("for kernels without device-mapper: activation disabled, an LV's extents "
                                 "reached through a loop device over its physical volume, contiguous LVs, "
                                 "full-copy snapshots"))],
                   help="lvm driver: how a volume's bytes are reached."),
        cfg.StrOpt("target_helper", default="tgtadm", choices=["tgtadm", "lioadm"],
                   help="iSCSI target helper: tgtadm (tgtd, userspace) or lioadm (the kernel's LIO, "
                        "through rtslib-fb)."),
        cfg.StrOpt("target_ip_address", default="127.0.0.1",
                   help="The address compute hosts reach the iSCSI portal on."),
        cfg.PortOpt("target_port", default=3260, help="The iSCSI portal's port."),
        cfg.StrOpt("target_prefix", default="iqn.2010-10.org.openstack:",
                   help="Prefix of each volume's target IQN (the volume's LV name follows)."),
        cfg.BoolOpt("use_chap_auth", default=True,
                    help="Give each exported volume its own CHAP user and secret."),
        cfg.IntOpt("tgt_control_port", default=0, min=0,
                   help="tgtadm: the control port (-C) of the tgtd to use, for hosts that run several."),
        # NFS driver
        cfg.StrOpt("nfs_shares_config", default="/etc/ember/nfs_shares",
                   help="nfs driver: file listing the shares, one 'host:/export [mount options]' per line "
                        "(# starts a comment). A share whose host is this machine and whose export is a "
                        "folder here is used in place; one already mounted under nfs_mount_point_base is "
                        "used as it is; any other is mounted there."),
        cfg.StrOpt("nfs_mount_point_base", default=None, sample_default="<state_path>/mnt",
                   help="nfs driver: folder under which each share is mounted (one folder per share)."),
        cfg.StrOpt("nfs_mount_options", default=None,
                   help="nfs driver: mount options for every share (a share's own options come after)."),
        cfg.BoolOpt("nfs_sparsed_volumes", default=True,
                    help="nfs driver: raw volumes as sparse files (thin provisioning); False allocates "
                         "every byte at create."),
        cfg.BoolOpt("nfs_qcow2_volumes", default=False,
                    help="nfs driver: new volumes as qcow2 files instead of raw."),
        cfg.FloatOpt("nfs_oversub_ratio", default=1.0, min=0.0,
                     help="nfs driver: a share takes a new volume only while the sizes of its volumes "
                          "stay within this ratio of its capacity."),
        cfg.FloatOpt("nfs_used_ratio", default=0.95, min=0.0, max=1.0,
                     help="nfs driver: a share takes a new volume only while the used fraction of its "
                          "space is below this."),
        cfg.BoolOpt("nfs_qemu_backing_urls", default=False,
                    help="nfs driver: write the backing file of a snapshot overlay as an absolute "
                         "nfs://host/export/file URL, for compute hosts that open volumes with qemu's "
                         "nfs:// client (libnfs). False: a name relative to the share, as kernel-mounted "
                         "clients need."),
        cfg.StrOpt("nas_secure_file_permissions", default="true", choices=[
                       ("true", ("every file the nfs driver writes is 0660, owned by nas_file_owner and "
                                "nas_file_group, whatever the service's umask")),
                       ("auto", ("Cinder's default: the same as true here (existing files are brought to "
                                "0660 when the service starts, so there is no older install to keep open)")),
                       ("false", ("files keep the mode qemu-img and the umask give them (0644 under umask "
                                 "022): every host that mounts the share reads every volume"))],
                   help="nfs driver: secure file permissions (Cinder's NAS option): volume, snapshot and "
                        "record files readable and writable by their owner and group only."),
        cfg.StrOpt("nas_file_owner", default=None, sample_default="<the service's user>",
                   help="nfs driver, with nas_secure_file_permissions: owner of the files (a user name or "
                        "uid). Changing it to another user than the service's goes through root_helper."),
        cfg.StrOpt("nas_file_group", default=None, sample_default="<the service's group>",
                   help="nfs driver, with nas_secure_file_permissions: group of the files (a group name or "
                        "gid), e.g. the group the compute hosts' qemu runs in (kvm, or libvirt-qemu) so "
                        "that they open the volumes while no one else does. A group the service's user is "
                        "not in is set through root_helper."),
        cfg.IntOpt("image_conversion_cpu_limit", default=60, min=1,
                   help="nfs driver: CPU seconds a qemu-img inspection may use (qemu-img info, and create "
                        "of a file with no preallocation) before it is killed (Cinder's option and default). "
                        "Copies, rebases and resizes are not limited: their work grows with the volume."),
        cfg.IntOpt("image_conversion_address_space_limit", default=1, min=1,
                   help="nfs driver: address space, in GiB, of a qemu-img inspection (the same commands as "
                        "image_conversion_cpu_limit; Cinder's option and default)."),
        cfg.IntOpt("noop_capacity_gb", default=100000, min=0,
                   help="noop driver: total capacity to report, in GiB."),
        cfg.IntOpt("noop_delay_ms", default=0, min=0,
                   help="noop driver: milliseconds each operation sleeps, to mimic a real backend."),
    ]


def register_backend(conf: cfg.ConfigOpts, backend_name: str) -> None:
    """Register the backend options on group ``backend_name``; registering twice is harmless."""
    conf.register_opts(_backend_opts(backend_name), group=backend_name)


def standalone_conf(state_path: str, backend_name: str, **overrides: object) -> cfg.ConfigOpts:
    """A config holding only ``[backend_name]`` (with ``overrides``), for a driver run outside a
    volume service: the driver benchmark and the driver tests."""
    conf = cfg.ConfigOpts()
    common_options.register(conf)
    register_backend(conf, backend_name)
    conf([], default_config_files=[])
    conf.set_override("state_path", state_path)
    for name, value in overrides.items():
        conf.set_override(name, value, group=backend_name)
    return conf


def availability_zone(conf: cfg.ConfigOpts, backend_name: str) -> str:
    zone: str | None = conf[backend_name].backend_availability_zone
    return zone or str(conf.storage_availability_zone)


def list_opts() -> list[tuple[str, list[cfg.Opt]]]:
    """For oslo-config-generator: the options of one backend section, under a placeholder name."""
    return [(SAMPLE_GROUP, _backend_opts(SAMPLE_GROUP))]
