"""The ``ember`` command: an openstack-style CLI over ember's Cinder v3 REST API.

``main`` parses the command line, runs one handler from ``client.commands`` against
``client.http.Session``; every ClientError becomes ``ERROR: ...`` on stderr and exit status 1.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence

from client import output
from client.commands import attachments, groups, transfers
from client.commands.backups import backup_create, backup_delete, backup_list, backup_restore, backup_show
from client.commands.deployment import (
    availability_zone_list,
    cluster_disable,
    cluster_enable,
    cluster_list,
    cluster_show,
    pool_list,
    service_list,
)
from client.commands.project import (
    default_type_list,
    default_type_set,
    default_type_show,
    default_type_unset,
    limits_show,
    message_list,
    quota_class_set,
    quota_class_show,
    quota_set,
    quota_show,
)
from client.commands.qos import (
    qos_associate,
    qos_create,
    qos_delete,
    qos_disassociate,
    qos_list,
    qos_set,
    qos_show,
    qos_unset,
)
from client.commands.snapshots import (
    snapshot_create,
    snapshot_delete,
    snapshot_list,
    snapshot_manage,
    snapshot_manageable_list,
    snapshot_show,
    snapshot_unmanage,
)
from client.commands.types import type_create, type_delete, type_list, type_set, type_show, type_unset
from client.commands.volumes import (
    volume_create,
    volume_delete,
    volume_extend,
    volume_list,
    volume_manage,
    volume_manageable_list,
    volume_migrate,
    volume_reset_status,
    volume_retype,
    volume_set,
    volume_show,
    volume_unmanage,
)
from client.http import ClientError, Session

DEFAULT_ENDPOINT = "http://127.0.0.1:8776/v3"
DEFAULT_TIMEOUT_S = 300.0

Handler = Callable[[Session, argparse.Namespace], int | None]


def _key_value(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got '{text}'")
    return key, value


def _size_gb(text: str) -> int:
    try:
        size = int(text)
    except ValueError:
        size = 0
    if size < 1:
        raise argparse.ArgumentTypeError(f"a size is a whole number of GB, at least 1; got '{text}'")
    return size


def _quota(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -2
    if value < -1:
        raise argparse.ArgumentTypeError(f"a quota is a whole number, or -1 for unlimited; got '{text}'")
    return value


_GROUP_HELP = {
    "volume": "create, list, change and delete volumes",
    "snapshot": "create, list and delete snapshots",
    "backup": "back volumes up, restore and delete backups",
    "type": "manage volume types and their extra specs",
    "qos": "manage QoS specs and associate them with volume types (admin)",
    "availability-zone": "list availability zones",
    "service": "list ember services and whether they are up",
    "pool": "list backend pools and their capacity",
    "limits": "show the project's absolute limits",
    "quota": "show and change project quotas",
    "quota-class": "show and change quota classes (the default class: every project without its own limits)",
    "default-type": "each project's default volume type",
    "cluster": "list, show, enable and disable clusters (each backend's volume services)",
    "message": "list messages services left about failed operations",
    "attachment": "list, show and delete volume attachments",
    "transfer": "hand volumes to another project",
    "group-type": "manage group types and their group specs",
    "group": "create, change and delete groups of volumes",
    "group-snapshot": "snapshot every volume of a group at once",
}


class _Builder:
    """Adds leaf commands; each accepts --json/--debug after the command too."""

    def __init__(self, root: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
        self._root = root
        self._common = argparse.ArgumentParser(add_help=False)
        self._common.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                                  help="print JSON instead of a table")
        self._common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                                  help="log every request and response to stderr")
        self._groups: dict[str, argparse._SubParsersAction[argparse.ArgumentParser]] = {}

    def command(self, words: str, handler: Handler, help_text: str, *,
                wait: bool = False) -> argparse.ArgumentParser:
        group, _, leaf = words.rpartition(" ")
        parent = self._root
        if group:
            if group not in self._groups:
                group_parser = self._root.add_parser(group, help=_GROUP_HELP.get(group, f"{group} commands"))
                self._groups[group] = group_parser.add_subparsers(dest="action", required=True,
                                                                  metavar="ACTION")
            parent = self._groups[group]
        parser = parent.add_parser(leaf, help=help_text, description=help_text, parents=[self._common])
        parser.set_defaults(handler=handler)
        if wait:
            parser.add_argument("--wait", action="store_true", help="wait until the operation has finished")
            parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S, metavar="SECONDS",
                                help="give up waiting after this long (default %(default)g)")
        return parser


def _add_properties(parser: argparse.ArgumentParser, help_text: str, *, required: bool = False) -> None:
    parser.add_argument("--property", type=_key_value, action="append", default=[], required=required,
                        metavar="KEY=VALUE", help=help_text)


def _add_quota_args(parser: argparse.ArgumentParser) -> None:
    for name in ("volumes", "snapshots", "gigabytes", "backups", "backup-gigabytes", "per-volume-gigabytes",
                 "groups"):
        parser.add_argument(f"--{name}", type=_quota, metavar="N")
    parser.add_argument("--type", metavar="TYPE", help="limit this volume type's volumes, snapshots and gigabytes "
                                                       "(volumes_<type>, ...) instead of the project's")


def _add_manage_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--id-type", choices=("source-name", "source-id"), default="source-name",
                        help="what REF is: the name on the storage, or the id of an unmanaged ember volume")
    parser.add_argument("--name")
    parser.add_argument("--description")
    _add_properties(parser, "metadata; repeat for more")


def _add_group_commands(b: _Builder) -> None:
    p = b.command("group-type create", groups.group_type_create, "Create a group type (admin).")
    p.add_argument("name")
    p.add_argument("--description")
    p.add_argument("--private", action="store_true", help="visible to admins only")
    _add_properties(p, "a group spec; repeat for more")
    b.command("group-type list", groups.group_type_list, "List group types.").add_argument(
        "--all", action="store_true", help="private ones too (admin)")
    b.command("group-type show", groups.group_type_show, "Show a group type.").add_argument("group_type",
                                                                                             metavar="GROUP_TYPE")
    p = b.command("group-type set", groups.group_type_set, "Change a group type or set group specs (admin).")
    p.add_argument("group_type", metavar="GROUP_TYPE")
    p.add_argument("--name")
    p.add_argument("--description")
    _add_properties(p, "add or change a group spec; repeat for more")
    p = b.command("group-type unset", groups.group_type_unset, "Remove group specs (admin).")
    p.add_argument("group_type", metavar="GROUP_TYPE")
    p.add_argument("--property", action="append", default=[], required=True, metavar="KEY")
    b.command("group-type delete", groups.group_type_delete, "Delete group types (admin).").add_argument(
        "group_types", nargs="+", metavar="GROUP_TYPE")

    p = b.command("group create", groups.group_create, "Create a group, empty or from a group snapshot or group.",
                  wait=True)
    p.add_argument("--group-type", metavar="GROUP_TYPE")
    p.add_argument("--volume-type", action="append", default=[], metavar="TYPE", help="repeat for more")
    p.add_argument("--name")
    p.add_argument("--description")
    p.add_argument("--availability-zone", metavar="ZONE")
    p.add_argument("--group-snapshot", metavar="GROUP_SNAPSHOT", help="copy each volume of this group snapshot")
    p.add_argument("--source-group", metavar="GROUP", help="clone each volume of this group")
    b.command("group list", groups.group_list, "List groups.").add_argument("--all-projects", action="store_true")
    b.command("group show", groups.group_show, "Show a group and its volumes.").add_argument("group", metavar="GROUP")
    p = b.command("group update", groups.group_update, "Rename a group, add or remove volumes.")
    p.add_argument("group", metavar="GROUP")
    p.add_argument("--name")
    p.add_argument("--description")
    p.add_argument("--add-volume", action="append", default=[], metavar="VOLUME", help="repeat for more")
    p.add_argument("--remove-volume", action="append", default=[], metavar="VOLUME", help="repeat for more")
    p = b.command("group delete", groups.group_delete, "Delete groups.", wait=True)
    p.add_argument("groups", nargs="+", metavar="GROUP")
    p.add_argument("--delete-volumes", action="store_true", help="delete the groups' volumes too")

    p = b.command("group-snapshot create", groups.group_snapshot_create, "Snapshot every volume of a group at once.",
                  wait=True)
    p.add_argument("group", metavar="GROUP")
    p.add_argument("--name")
    p.add_argument("--description")
    b.command("group-snapshot list", groups.group_snapshot_list, "List group snapshots.")
    b.command("group-snapshot show", groups.group_snapshot_show, "Show a group snapshot.").add_argument(
        "group_snapshot", metavar="GROUP_SNAPSHOT")
    p = b.command("group-snapshot delete", groups.group_snapshot_delete, "Delete a group snapshot and its members.",
                  wait=True)
    p.add_argument("group_snapshot", metavar="GROUP_SNAPSHOT")


def _add_commands(b: _Builder) -> None:
    p = b.command("volume create", volume_create, "Create a volume.", wait=True)
    p.add_argument("--size", type=_size_gb, metavar="GB", help="size in GB")
    p.add_argument("--name")
    p.add_argument("--description")
    p.add_argument("--type", help="volume type name or ID")
    p.add_argument("--availability-zone", metavar="ZONE")
    p.add_argument("--snapshot", metavar="SNAPSHOT", help="create from this snapshot (name or ID)")
    p.add_argument("--source", metavar="VOLUME", help="clone this volume (name or ID)")
    _add_properties(p, "metadata; repeat for more")
    p = b.command("volume list", volume_list, "List volumes.")
    p.add_argument("--all-projects", action="store_true")
    p.add_argument("--long", action="store_true", help="more columns")
    p.add_argument("--status")
    p.add_argument("--name")
    p.add_argument("--limit", type=int)
    b.command("volume show", volume_show, "Show a volume.").add_argument("volume", metavar="VOLUME")
    p = b.command("volume set", volume_set, "Change a volume's name, description or properties.")
    p.add_argument("volume", metavar="VOLUME")
    p.add_argument("--name")
    p.add_argument("--description")
    _add_properties(p, "add or change a metadata entry; repeat for more")
    p = b.command("volume delete", volume_delete, "Delete volumes.", wait=True)
    p.add_argument("volumes", nargs="+", metavar="VOLUME")
    p.add_argument("--force", action="store_true", help="delete whatever the volume's status")
    p = b.command("volume extend", volume_extend, "Grow a volume.", wait=True)
    p.add_argument("volume", metavar="VOLUME")
    p.add_argument("--size", type=_size_gb, required=True, metavar="GB", help="new size in GB")
    p = b.command("volume retype", volume_retype, "Give a volume another type (moving it if need be).", wait=True)
    p.add_argument("volume", metavar="VOLUME")
    p.add_argument("type", metavar="TYPE", help="the new volume type (name or ID)")
    p.add_argument("--migration-policy", choices=["never", "on-demand"], default="never",
                   help="on-demand: move the volume to a backend that meets the type when its own does not")
    p = b.command("volume migrate", volume_migrate, "Move a volume to another backend (admin).", wait=True)
    p.add_argument("volume", metavar="VOLUME")
    p.add_argument("--host", required=True, help="the destination: host@backend#pool, or host@backend")
    p.add_argument("--force-host-copy", action="store_true",
                   help="accepted for Cinder's sake: ember always copies through the hosts")
    p.add_argument("--lock-volume", action="store_true",
                   help="accepted for Cinder's sake: ember always holds the volume (maintenance) meanwhile")
    p = b.command("volume reset-status", volume_reset_status, "Force a volume's status (admin).")
    p.add_argument("volume", metavar="VOLUME")
    p.add_argument("--state", required=True, help="e.g. available, error")

    p = b.command("volume manage", volume_manage, "Take data already on a backend (an LV, a file) in as a new "
                  "volume (admin).", wait=True)
    p.add_argument("host", metavar="HOST", help="host@backend#pool (see `ember pool list`)")
    p.add_argument("ref", metavar="REF", help="its name on the storage (an LV name, a file name)")
    _add_manage_options(p)
    p.add_argument("--type", help="volume type name or ID")
    p.add_argument("--availability-zone", metavar="ZONE")
    p.add_argument("--bootable", action="store_true")
    p = b.command("volume unmanage", volume_unmanage, "Forget a volume, leaving its data on the storage (admin).",
                  wait=True)
    p.add_argument("volume", metavar="VOLUME")
    p = b.command("volume manageable-list", volume_manageable_list,
                  "What a backend holds that could be managed as volumes (admin).")
    p.add_argument("host", metavar="HOST", help="host@backend (see `ember service list`)")

    p = b.command("snapshot create", snapshot_create, "Snapshot a volume.", wait=True)
    p.add_argument("volume", metavar="VOLUME")
    p.add_argument("--name")
    p.add_argument("--description")
    b.command("snapshot list", snapshot_list, "List snapshots.")
    b.command("snapshot show", snapshot_show, "Show a snapshot.").add_argument("snapshot", metavar="SNAPSHOT")
    p = b.command("snapshot delete", snapshot_delete, "Delete a snapshot.", wait=True)
    p.add_argument("snapshot", metavar="SNAPSHOT")
    p = b.command("snapshot manage", snapshot_manage, "Take a snapshot already on a backend in for one of its "
                  "volumes (admin).", wait=True)
    p.add_argument("volume", metavar="VOLUME")
    p.add_argument("ref", metavar="REF", help="its name on the storage")
    _add_manage_options(p)
    p = b.command("snapshot unmanage", snapshot_unmanage, "Forget a snapshot, leaving its data on the storage "
                  "(admin).", wait=True)
    p.add_argument("snapshot", metavar="SNAPSHOT")
    p = b.command("snapshot manageable-list", snapshot_manageable_list,
                  "What a backend holds that could be managed as snapshots (admin).")
    p.add_argument("host", metavar="HOST", help="host@backend")

    _add_group_commands(b)

    p = b.command("backup create", backup_create, "Back a volume up (full, or incremental with --incremental).",
                  wait=True)
    p.add_argument("volume", metavar="VOLUME")
    p.add_argument("--name")
    p.add_argument("--description")
    p.add_argument("--incremental", action="store_true", help="store only what changed since the newest backup")
    p.add_argument("--force", action="store_true", help="back up an attached (in-use) volume")
    b.command("backup list", backup_list, "List backups.")
    b.command("backup show", backup_show, "Show a backup.").add_argument("backup", metavar="BACKUP")
    p = b.command("backup delete", backup_delete, "Delete a backup.", wait=True)
    p.add_argument("backup", metavar="BACKUP")
    p = b.command("backup restore", backup_restore, "Restore a backup into a new volume, or into --volume.",
                  wait=True)
    p.add_argument("backup", metavar="BACKUP")
    p.add_argument("--volume", metavar="VOLUME", help="an available volume at least as large (default: a new one)")
    p.add_argument("--name", help="the new volume's name")

    p = b.command("type create", type_create, "Create a volume type.")
    p.add_argument("name", metavar="NAME")
    p.add_argument("--description")
    _add_properties(p, "extra spec; repeat for more")
    p.add_argument("--private", action="store_true", help="visible only to projects given access")
    b.command("type list", type_list, "List volume types.")
    b.command("type show", type_show, "Show a volume type.").add_argument("type", metavar="TYPE")
    p = b.command("type set", type_set, "Add or change extra specs.")
    p.add_argument("type", metavar="TYPE")
    _add_properties(p, "extra spec to add or change; repeat for more", required=True)
    p = b.command("type unset", type_unset, "Remove extra specs.")
    p.add_argument("type", metavar="TYPE")
    p.add_argument("--property", action="append", required=True, metavar="KEY")
    b.command("type delete", type_delete, "Delete a volume type.").add_argument("type", metavar="TYPE")

    p = b.command("qos create", qos_create, "Create QoS specs.")
    p.add_argument("name", metavar="NAME")
    p.add_argument("--consumer", choices=("front-end", "back-end", "both"), default="back-end",
                   help="who enforces the keys: the hypervisor (front-end), the storage (back-end) or both "
                        "(default %(default)s)")
    _add_properties(p, "QoS key, e.g. total_iops_sec=500; repeat for more")
    b.command("qos list", qos_list, "List QoS specs.")
    b.command("qos show", qos_show, "Show QoS specs and the volume types they are associated with.").add_argument(
        "qos", metavar="QOS")
    p = b.command("qos set", qos_set, "Add or change QoS keys.")
    p.add_argument("qos", metavar="QOS")
    _add_properties(p, "QoS key to add or change; repeat for more", required=True)
    p = b.command("qos unset", qos_unset, "Remove QoS keys.")
    p.add_argument("qos", metavar="QOS")
    p.add_argument("--property", action="append", required=True, metavar="KEY")
    p = b.command("qos delete", qos_delete, "Delete QoS specs.")
    p.add_argument("qos", metavar="QOS")
    p.add_argument("--force", action="store_true", help="even while associated (disassociates the types)")
    p = b.command("qos associate", qos_associate, "Associate QoS specs with a volume type.")
    p.add_argument("qos", metavar="QOS")
    p.add_argument("type", metavar="TYPE")
    p = b.command("qos disassociate", qos_disassociate, "Disassociate QoS specs from a volume type, or all.")
    p.add_argument("qos", metavar="QOS")
    p.add_argument("type", nargs="?", metavar="TYPE")
    p.add_argument("--all", action="store_true", help="from every volume type")

    b.command("availability-zone list", availability_zone_list, "List availability zones.")
    b.command("service list", service_list, "List services and whether they are up.").add_argument(
        "--long", action="store_true", help="show why a service is disabled")
    b.command("pool list", pool_list, "List backend pools and their capacity.")
    b.command("limits show", limits_show, "Show the absolute limits of the project.")
    b.command("quota show", quota_show, "Show a project's quotas and usage.").add_argument(
        "project", nargs="?", metavar="PROJECT", help="default: --os-project-id")
    p = b.command("quota set", quota_set, "Change a project's quotas.")
    p.add_argument("project", metavar="PROJECT")
    _add_quota_args(p)
    b.command("quota-class show", quota_class_show, "Show a quota class's limits.").add_argument(
        "quota_class", nargs="?", default="default", metavar="CLASS", help="default: %(default)s")
    p = b.command("quota-class set", quota_class_set, "Change a quota class's limits (the default class: every "
                  "project without its own).")
    p.add_argument("quota_class", metavar="CLASS")
    _add_quota_args(p)
    p = b.command("default-type set", default_type_set, "Set a project's default volume type.")
    p.add_argument("project", metavar="PROJECT")
    p.add_argument("type", metavar="TYPE", help="volume type name or ID")
    b.command("default-type show", default_type_show, "Show a project's default volume type.").add_argument(
        "project", nargs="?", metavar="PROJECT", help="default: --os-project-id")
    b.command("default-type unset", default_type_unset, "Unset a project's default volume type.").add_argument(
        "project", metavar="PROJECT")
    b.command("default-type list", default_type_list, "List every project's default volume type.")
    b.command("cluster list", cluster_list, "List clusters and their active nodes.").add_argument(
        "--long", action="store_true", help="show why a cluster is disabled")
    b.command("cluster show", cluster_show, "Show a cluster and its nodes.").add_argument("name", metavar="NAME")
    b.command("cluster enable", cluster_enable, "Let the scheduler place volumes on a cluster.").add_argument(
        "name", metavar="NAME")
    p = b.command("cluster disable", cluster_disable, "Stop the scheduler placing volumes on a cluster.")
    p.add_argument("name", metavar="NAME")
    p.add_argument("--reason", help="why (shown in cluster list --long)")
    b.command("message list", message_list, "List the user messages services left about failures.")
    attachments.add_commands(b.command)
    transfers.add_commands(b.command)


def build_parser() -> argparse.ArgumentParser:
    env = os.environ
    parser = argparse.ArgumentParser(prog="ember", description="Command-line client for ember block storage.")
    parser.add_argument("--os-endpoint", metavar="URL",
                        default=env.get("EMBER_ENDPOINT") or env.get("OS_VOLUME_ENDPOINT") or DEFAULT_ENDPOINT,
                        help="volume API URL up to /v3 (env EMBER_ENDPOINT; default %(default)s)")
    parser.add_argument("--os-project-id", metavar="PROJECT", default=env.get("OS_PROJECT_ID") or "demo",
                        help="project to act in (env OS_PROJECT_ID; default %(default)s)")
    parser.add_argument("--os-user-id", metavar="USER", default=env.get("OS_USER_ID") or "demo",
                        help="user to act as (env OS_USER_ID; default %(default)s)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    parser.add_argument("--debug", action="store_true", help="log every request and response to stderr")
    _add_commands(_Builder(parser.add_subparsers(dest="command", required=True, metavar="COMMAND")))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.debug:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("DEBUG %(name)s: %(message)s"))
        logger = logging.getLogger("client")
        logger.handlers[:] = [handler]
        logger.setLevel(logging.DEBUG)
    session = Session(args.os_endpoint, project_id=args.os_project_id, user_id=args.os_user_id)
    try:
        return args.handler(session, args) or 0
    except ClientError as exc:
        output.print_error(exc)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        session.close()
