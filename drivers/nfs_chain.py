"""The record of one nfs volume's files: ``volume-<id>.info``, in Cinder's layout plus the files' formats.

``{"active": <file the volume writes to>, "<snapshot id>": <its frozen file>, ...,
"formats": {<file>: "raw" | "qcow2"}}``. The formats are written when each file is made and
never read off the files. Every name a record holds is one of the volume's own files in the
share's folder, and a backing file an image names must be one of its chain's files by its full
location (:meth:`Chain.own`), never by its last component alone.
"""

from __future__ import annotations

import json
import os
import posixpath
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from drivers import fileops, images
from drivers.errors import DriverError
from drivers.fileops import translated

if TYPE_CHECKING:
    from drivers.permissions import FileGuard

INFO_SUFFIX = ".info"
FORMATS = frozenset({"raw", "qcow2"})
_ACTIVE = "active"
_FORMATS = "formats"


def base_name(volume_id: str) -> str:
    return f"volume-{fileops.check_id(volume_id)}"


def overlay_name(volume_id: str, snapshot_id: str) -> str:
    return f"{base_name(volume_id)}.{fileops.check_id(snapshot_id)}"


@dataclass
class Chain:
    active: str
    snapshots: dict[str, str] = field(default_factory=dict)  # snapshot id -> its frozen file
    formats: dict[str, str] = field(default_factory=dict)  # file -> format

    def files(self) -> set[str]:
        return {self.active, *self.snapshots.values()}

    def format_of(self, name: str) -> str:
        try:
            return self.formats[name]
        except KeyError:
            raise DriverError(f"{name} is not a file of this volume's chain") from None

    def own(self, name: str | None, *, folder: str, folder_url: str) -> str | None:
        """``name`` (an image's backing reference) as one of the chain's files; None for no backing file.

        A relative name is resolved against ``folder`` (the images' own folder, as qemu does), an
        absolute path taken as it is, and an ``nfs://`` URL against ``folder_url`` (the share's URL).
        Whatever resolves outside the folder, or to a file not in this chain, is refused.
        """
        if not name:
            return None
        if "://" in name:
            resolved = _name_in_url(name, folder_url)
        else:
            resolved = _name_in_folder(name, folder)
        if resolved is None or resolved not in self.files():
            raise DriverError(f"backing file {name!r} is not a file of this volume's chain")
        return resolved

    def below(self, name: str, *, folder: str, folder_url: str) -> str | None:
        """The chain's file right under ``name``, as ``name``'s header gives it; None if it has no backing file.

        Refused (DriverError): a backing file that is not one of the chain's own files (:meth:`own`),
        or whose format the header does not name as the record gives it (qemu would probe the
        format of a file a guest wrote into).
        """
        fmt = self.format_of(name)
        if fmt != "qcow2":
            return None
        header = images.inspect(os.path.join(folder, name), fmt)
        below = self.own(header.backing_file, folder=folder, folder_url=folder_url)
        if below is not None and header.backing_format != self.format_of(below):
            raise DriverError(f"{name} names {below} as its backing file in format {header.backing_format or '(none)'}"
                              f", but the record gives {self.format_of(below)}")
        return below

    def check_below(self, top: str, *, folder: str, folder_url: str) -> None:
        """Check every backing file under ``top`` (:meth:`below`) before qemu-img reads through them."""
        seen: set[str] = set()
        name: str | None = top
        while name is not None:
            if name in seen:
                raise DriverError(f"the backing files under {top} loop back to {name}")
            seen.add(name)
            name = self.below(name, folder=folder, folder_url=folder_url)


def _name_in_folder(name: str, folder: str) -> str | None:
    """The file name ``name`` designates directly inside ``folder``; None if it lies anywhere else."""
    if "\0" in name:
        return None
    home = os.path.realpath(folder)
    path = os.path.realpath(os.path.join(home, name))
    return os.path.basename(path) if os.path.dirname(path) == home else None


def _name_in_url(url: str, folder_url: str) -> str | None:
    """The file name ``url`` designates directly inside the share at ``folder_url``; None otherwise."""
    try:
        parts, home = urlsplit(url), urlsplit(folder_url)
        same_server = (parts.scheme, parts.hostname, parts.port) == (home.scheme, home.hostname, home.port)
    except ValueError:  # a malformed port or address
        return None
    if not same_server or parts.query or parts.fragment or parts.username or parts.password:
        return None
    path = posixpath.normpath(unquote(parts.path))
    export = posixpath.normpath(unquote(home.path))
    return posixpath.basename(path) if posixpath.dirname(path) == export and "\0" not in path else None


def info_path(folder: str, volume_id: str) -> str:
    return os.path.join(folder, base_name(volume_id) + INFO_SUFFIX)


def read(folder: str, volume_id: str) -> Chain | None:
    path = info_path(folder, volume_id)
    try:
        with open(path, encoding="utf-8") as info_file:
            data = json.load(info_file)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise DriverError(f"cannot read {path}: {exc}") from exc
    try:
        formats = {str(k): str(v) for k, v in data.pop(_FORMATS).items()}
        active = str(data.pop(_ACTIVE))
        chain = Chain(active, {str(k): str(v) for k, v in data.items()}, formats)
    except (KeyError, AttributeError) as exc:
        raise DriverError(f"{path} is not a volume record: {exc}") from exc
    _check_names(path, volume_id, chain)
    return chain


def _check_names(path: str, volume_id: str, chain: Chain) -> None:
    """Refuse a record that names anything but the volume's own files (``volume-<id>[.<snapshot>]``)."""
    base = base_name(volume_id)
    for snapshot_id in chain.snapshots:
        if not _is_id(snapshot_id):
            raise DriverError(f"{path} is not a volume record: {snapshot_id!r} is no snapshot id")
    for name in chain.files():
        own = name == base or (name.startswith(base + ".") and _is_id(name[len(base) + 1:])
                               and name != base + INFO_SUFFIX)
        if not own:
            raise DriverError(f"{path} names {name!r}, which is not a file of volume {volume_id}")
        if chain.formats.get(name) not in FORMATS:
            raise DriverError(f"{path} gives {name!r} no known format")


def _is_id(text: str) -> bool:
    try:
        fileops.check_id(text)
    except DriverError:
        return False
    return True


def write(folder: str, volume_id: str, chain: Chain, *, guard: FileGuard | None = None) -> None:
    live = chain.files()
    data = {**chain.snapshots, _ACTIVE: chain.active,
            _FORMATS: {name: fmt for name, fmt in chain.formats.items() if name in live}}

    def fill(tmp: str) -> None:
        with translated(f"cannot write {tmp}"), open(tmp, "w", encoding="utf-8") as info_file:
            json.dump(data, info_file, sort_keys=True)
            info_file.flush()
            os.fsync(info_file.fileno())

    fileops.write_atomically(info_path(folder, volume_id), fill, guard=guard)
