"""Open a volume for the engine from what a driver knows of it: a path or nfs:// URL, and its format.

Raw paths (an LV's device, a file) are read directly; qcow2 (a chain included) and nfs:// URLs go
through qemu-nbd, which flattens the chain to what the guest sees.
"""

from __future__ import annotations

from backup.volumes.base import VolumeReader, VolumeWriter
from backup.volumes.files import FileVolumeReader, FileVolumeWriter
from backup.volumes.qemu import QemuNbdVolume


def _needs_qemu(location: str, fmt: str) -> bool:
    return fmt != "raw" or "://" in location


def open_reader(location: str, *, fmt: str = "raw", direct: bool = True) -> VolumeReader:
    if _needs_qemu(location, fmt):
        return QemuNbdVolume(location, fmt=fmt, read_only=True)
    return FileVolumeReader(location, direct=direct)


def open_writer(location: str, *, fmt: str = "raw", zeroed: bool = False) -> VolumeWriter:
    """``zeroed``: the target is new and reads as zeros, so zero chunks of the backup are not written."""
    if _needs_qemu(location, fmt):
        return QemuNbdVolume(location, fmt=fmt, read_only=False, zeroed=zeroed)
    return FileVolumeWriter(location, zeroed=zeroed)
