"""NFS shares as the nfs driver uses them: read from ``nfs_shares_config``, each given a local folder.

A share is ``host:/export [options]``. Its local folder is, in this order: the export itself
when the host is this machine and the export is a folder here (used in place, no mount);
its mount point under ``nfs_mount_point_base`` when something is already mounted there; or
that mount point after ``mount -t nfs`` through the runner.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
from dataclasses import dataclass

from drivers.errors import BackendUnavailable
from drivers.runner import Runner

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Share:
    address: str  # "host:/export", the pool name
    host: str
    export: str
    options: str | None
    local_path: str

    def url(self, name: str) -> str:
        """The nfs:// URL of file ``name`` on this share, as qemu's and libnfs' clients open it."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"nfs://{host}{self.export.rstrip('/')}/{name}"


def parse_line(line: str) -> tuple[str, str, str, str | None] | None:
    """(address, host, export, options) of one line of the shares file; None for blanks and comments."""
    text = line.split("#", 1)[0].strip()
    if not text:
        return None
    address, _, options = text.partition(" ")
    host, sep, export = address.rpartition(":")
    if not sep or not host or not export.startswith("/"):
        raise BackendUnavailable(f"nfs share {address!r} is not host:/export")
    options = options.strip()
    if options.startswith("-o"):  # Cinder's files also write the options as mount flags
        options = options[2:].strip()
    return address, host.strip("[]"), export, options or None


def read_shares_file(path: str) -> list[tuple[str, str, str, str | None]]:
    try:
        with open(path, encoding="utf-8") as lines:
            shares = [parsed for parsed in map(parse_line, lines) if parsed is not None]
    except OSError as exc:
        raise BackendUnavailable(f"cannot read nfs_shares_config {path}: {exc.strerror or exc}") from exc
    if not shares:
        raise BackendUnavailable(f"nfs_shares_config {path} lists no share")
    return shares


def is_this_host(host: str) -> bool:
    """True if ``host`` names an address of this machine (one a socket here can bind to)."""
    if host in ("localhost", socket.gethostname(), socket.getfqdn()):
        return True
    try:
        addresses = {str(info[4][0]) for info in socket.getaddrinfo(host, None)}
    except socket.gaierror:
        return False
    for address in addresses:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        with socket.socket(family, socket.SOCK_DGRAM) as probe:
            try:
                probe.bind((address, 0))
                return True
            except OSError:
                continue
    return False


def mount_point(base: str, address: str) -> str:
    return os.path.join(base, hashlib.sha256(address.encode()).hexdigest()[:32])


def attach(runner: Runner, *, address: str, host: str, export: str, options: str | None,
           mount_point_base: str, default_options: str | None) -> Share:
    """The share with its local folder, mounting it if it is neither local nor mounted yet."""
    if is_this_host(host) and os.path.isdir(export):
        log.info("nfs share %s is a folder of this host: used in place", address)
        return Share(address, host, export, options, export)
    target = mount_point(mount_point_base, address)
    os.makedirs(target, exist_ok=True)
    if not os.path.ismount(target):
        runner.require("mount", "mount.nfs", root=True)  # mount(8) runs the nfs-common helper
        argv = ["mount", "-t", "nfs"]
        joined = ",".join(o for o in (default_options, options) if o)
        if joined:
            argv += ["-o", joined]
        runner.run([*argv, address, target], root=True, timeout_s=60.0)
        log.info("mounted nfs share %s on %s", address, target)
    return Share(address, host, export, options, target)
