"""A compute host's view of a volume: read and write its bytes through the connection_info a driver returns.

Like os-brick, it only looks at ``connection_info``: ``local`` opens the device path,
``nfs`` opens ``<export>/<name>`` (through qemu's nfs:// client, or the export's folder on
this host when it is one), ``iscsi`` logs in with libiscsi (qemu's iscsi:// URL, CHAP
credentials included). Every read checks a pattern with qemu-io, which fails on a mismatch.
"""

from __future__ import annotations

import json
import os
import subprocess
from typing import Any
from urllib.parse import quote

MiB = 1024 ** 2
_TIMEOUT_S = 120  # a dead NFS server makes libnfs wait; a test must fail instead of hanging


def target_of(connection_info: dict[str, Any], *, nfs_via_url: bool = False,
              initiator: str | None = None) -> tuple[str, str]:
    """(qemu target, image format) of a connection; ``initiator``: the iSCSI name the host logs in with
    (a target admits only the initiators of its connections)."""
    kind = connection_info["driver_volume_type"]
    # os-initialize_connection and drivers nest the data; the attachments API flattens it (as Cinder does)
    data = connection_info.get("data", connection_info)
    if kind == "local":
        return data["device_path"], data.get("format", "raw")
    if kind == "nfs":
        host, _, export = data["export"].rpartition(":")
        if nfs_via_url:
            return f"nfs://{host}{export.rstrip('/')}/{data['name']}", data["format"]
        return os.path.join(export, data["name"]), data["format"]
    if kind == "iscsi" and initiator is not None:
        options = {"file.driver": "iscsi", "file.transport": "tcp", "file.portal": data["target_portal"],
                   "file.target": data["target_iqn"], "file.lun": data["target_lun"],
                   "file.initiator-name": initiator}
        if data.get("auth_method") == "CHAP":
            options.update({"file.user": data["auth_username"], "file.password": data["auth_password"]})
        return "json:" + json.dumps(options), "raw"
    if kind == "iscsi":
        credentials = ""
        if data.get("auth_method") == "CHAP":
            credentials = f"{quote(data['auth_username'], safe='')}%{quote(data['auth_password'], safe='')}@"
        return f"iscsi://{credentials}{data['target_portal']}/{data['target_iqn']}/{data['target_lun']}", "raw"
    raise AssertionError(f"no data path for driver_volume_type {kind!r}")


def qemu_io(target: str, fmt: str, command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["qemu-io", "-f", fmt, "-c", command, target], capture_output=True, text=True,
                          timeout=_TIMEOUT_S, check=False)


def write(target: tuple[str, str], pattern: int, offset: int, length: int = MiB) -> None:
    result = qemu_io(*target, f"write -P {pattern:#x} {offset} {length}")
    assert result.returncode == 0 and "error" not in result.stdout.lower(), result.stdout + result.stderr


def holds(target: tuple[str, str], pattern: int, offset: int, length: int = MiB) -> bool:
    """True if ``length`` bytes at ``offset`` are all ``pattern``."""
    result = qemu_io(*target, f"read -P {pattern:#x} {offset} {length}")
    if "Pattern verification failed" in result.stdout or result.returncode != 0:
        return False
    return "read " in result.stdout


def size(target: tuple[str, str]) -> int:
    path, fmt = target
    result = subprocess.run(["qemu-img", "info", "-f", fmt, "--output=json", path], capture_output=True,
                            text=True, timeout=_TIMEOUT_S, check=True)
    return int(json.loads(result.stdout)["virtual-size"])


def can_open(target: tuple[str, str]) -> bool:
    path, fmt = target
    result = subprocess.run(["qemu-img", "info", "-f", fmt, path], capture_output=True, text=True,
                            timeout=_TIMEOUT_S, check=False)
    return result.returncode == 0
