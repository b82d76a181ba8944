"""The storage tools drivers run, each with the Debian package that installs it.

Drivers check in ``setup`` that the tools their configuration needs are installed
(:func:`require`, :meth:`drivers.runner.Runner.require`): a missing one then stops the service
at start with one line that names the package, instead of failing requests later.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable

from drivers.errors import MissingTool

# tool -> Debian package (bookworm); every tool a driver runs, nothing else
DEBIAN_PACKAGES: dict[str, str] = {
    "qemu-img": "qemu-utils",
    **dict.fromkeys(("lvm", "lvs", "vgs", "pvs", "lvcreate", "lvremove", "lvrename", "lvextend", "lvchange",
                     "lvconvert"), "lvm2"),
    "tgtadm": "tgt",
    "losetup": "mount",
    "mount": "mount",
    "mount.nfs": "nfs-common",  # the helper `mount -t nfs` runs
    "blkdiscard": "util-linux",
    "prlimit": "util-linux",
    "env": "coreutils",
    "sudo": "sudo",  # the usual root_helper
}

# where root's tools are (a root helper such as sudo finds them there), and where mount(8) finds its helpers
SBIN = ("/usr/local/sbin", "/usr/sbin", "/sbin")


def find(tool: str, *, sbin: bool = False) -> str | None:
    """The full path of ``tool`` on PATH (then in the sbin folders if ``sbin``); None if it is not installed."""
    folders = os.environ.get("PATH", os.defpath).split(os.pathsep)
    if sbin or tool.startswith("mount."):
        folders += [folder for folder in SBIN if folder not in folders]
    return shutil.which(tool, path=os.pathsep.join(folders))


def require(tools: Iterable[str], *, sbin: bool = False) -> None:
    """Raise :class:`MissingTool` naming every one of ``tools`` that is not installed."""
    missing = [tool for tool in dict.fromkeys(tools) if find(tool, sbin=sbin) is None]
    if missing:
        raise MissingTool(missing, [package_of(tool) for tool in missing])


def package_of(tool: str) -> str | None:
    return DEBIAN_PACKAGES.get(os.path.basename(tool))
