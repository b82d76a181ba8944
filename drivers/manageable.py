"""What the drivers share for manage and unmanage: the listed entries, sizes, names and formats.

A manage reference is Cinder's ``{"source-name": <name on the storage>}`` (an LV of the volume
group, a file of the share); ``{"source-id": <id>}`` names what an unmanage left behind under
ember's own name (``volume-<id>``). The drivers rename what they take over to their own names, so
every later operation finds it as it finds a volume ember made; the data stays where it is.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from drivers.errors import ManageRefInvalid
from drivers.images import QCOW2_MAGIC

GiB = 1024 ** 3
VOLUME_PREFIX = "volume-"


@dataclass(frozen=True)
class Manageable:
    """One thing on the storage as the manageable lists show it (before the DB's view is added)."""

    name: str                         # its reference's source-name
    size_gb: int                      # rounded up to whole GiB
    reason_not_safe: str | None = None  # None: the storage sees nothing against managing it
    ember_id: str | None = None       # the id its name carries (ember's naming): managed if that id is live
    source_name: str | None = None    # a snapshot's volume on the storage, where the storage knows it
    extra_info: Mapping[str, str] | None = None
    pool: str | None = None           # the pool it lies in (host@backend#<pool>)


def source_name(reference: Mapping[str, object], *, prefix: str = VOLUME_PREFIX) -> str:
    """The storage name a reference gives; ManageRefInvalid if it gives none this driver reads."""
    name = reference.get("source-name")
    if name is None and reference.get("source-id") is not None:
        name = f"{prefix}{reference['source-id']}"
    if not isinstance(name, str) or not name:
        raise ManageRefInvalid("the reference needs a 'source-name' (or a 'source-id'): "
                               f"{dict(reference)!r} gives neither")
    if "\0" in name or name.startswith(".") or len(name) > 1024:
        raise ManageRefInvalid(f"{name!r} is no name on this storage")
    return name


def rounded_gb(size_bytes: int) -> int:
    """Whole GiB, rounded up (Cinder's rule for what it manages); at least 1."""
    return max(1, -(-size_bytes // GiB))


def ember_id_of(name: str, prefix: str = VOLUME_PREFIX) -> str | None:
    """The id in ``<prefix><id>`` (ember's own naming), else None."""
    if not name.startswith(prefix):
        return None
    rest = name[len(prefix):]
    return rest if rest and "." not in rest and len(rest) <= 64 else None


def file_format(path: str) -> str:
    """A foreign file's format, from its first bytes: qcow2 if it carries the qcow2 magic, else raw.

    Only for files ember did not make (their format is not recorded anywhere); ember's own files keep
    the format they were made with.
    """
    with open(path, "rb") as image:
        return "qcow2" if image.read(len(QCOW2_MAGIC)) == QCOW2_MAGIC else "raw"


def open_elsewhere(path: str) -> bool:
    """Whether some process on this host has ``path`` open (a guest's qemu, a dd), by /proc's fd links."""
    target = os.path.realpath(path)
    try:
        pids = [p for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return False
    for pid in pids:
        fd_dir = f"/proc/{pid}/fd"
        try:
            links = os.listdir(fd_dir)
        except OSError:
            continue  # gone, or not ours to read
        for fd in links:
            try:
                if os.readlink(os.path.join(fd_dir, fd)) == target:
                    return True
            except OSError:
                continue
    return False
