"""The record of one nfs volume's files: ``volume-<id>.info``, in Cinder's layout plus the files' formats.

``{"active": <file the volume writes to>, "<snapshot id>": <its frozen file>, ...,
"formats": {<file>: "raw" | "qcow2"}}``. The formats are written when each file is made and
never read off the files, and every backing file a chain names must be one of its own.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

from drivers import fileops
from drivers.errors import DriverError
from drivers.fileops import translated

INFO_SUFFIX = ".info"
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

    def own(self, name: str | None) -> str | None:
        """``name`` (a backing reference: a relative name or an nfs:// URL) as one of the chain's files."""
        if not name:
            return None
        own = os.path.basename(name)
        if own not in self.files():
            raise DriverError(f"backing file {name!r} is not a file of this volume's chain")
        return own


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
        return Chain(active, {str(k): str(v) for k, v in data.items()}, formats)
    except (KeyError, AttributeError) as exc:
        raise DriverError(f"{path} is not a volume record: {exc}") from exc


def write(folder: str, volume_id: str, chain: Chain) -> None:
    live = chain.files()
    data = {**chain.snapshots, _ACTIVE: chain.active,
            _FORMATS: {name: fmt for name, fmt in chain.formats.items() if name in live}}

    def fill(tmp: str) -> None:
        with translated(f"cannot write {tmp}"), open(tmp, "w", encoding="utf-8") as info_file:
            json.dump(data, info_file, sort_keys=True)
            info_file.flush()
            os.fsync(info_file.fileno())

    fileops.write_atomically(info_path(folder, volume_id), fill)
