"""A backup store in a POSIX folder (an NFS mount in production, a local folder in tests).

An object is written to a temporary name in its folder, fsynced, then renamed over its final name, so a
reader sees either no object or the whole object; the folder is fsynced after the rename.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from backup.engine.errors import ObjectMissing, StoreError

_TMP_SUFFIX = ".partial"


class PosixStore:
    def __init__(self, root: str | Path, *, fsync: bool = True) -> None:
        self.root = Path(root)
        self.fsync = fsync
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"posix store {self.root}: {exc}") from exc

    def describe(self) -> str:
        return f"posix:{self.root}"

    def _path(self, name: str) -> Path:
        if name.startswith("/") or ".." in name.split("/") or not name:
            raise StoreError(f"posix store {self.root}: bad object name {name!r}")
        return self.root / name

    def put(self, name: str, data: bytes) -> None:
        path = self._path(name)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}{_TMP_SUFFIX}")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
                if self.fsync:
                    os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, path)
            if self.fsync:
                dir_fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
                try:
                    os.fsync(dir_fd)
                finally:
                    os.close(dir_fd)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise StoreError(f"posix store {self.root}: writing {name}: {exc}") from exc

    def get(self, name: str) -> bytes:
        try:
            return self._path(name).read_bytes()
        except FileNotFoundError:
            raise ObjectMissing(name) from None
        except OSError as exc:
            raise StoreError(f"posix store {self.root}: reading {name}: {exc}") from exc

    def delete(self, name: str) -> None:
        try:
            self._path(name).unlink(missing_ok=True)
        except OSError as exc:
            raise StoreError(f"posix store {self.root}: deleting {name}: {exc}") from exc

    def list(self, prefix: str) -> list[str]:
        """Object names starting with ``prefix`` (temporaries of unfinished puts included: cleanup wants them)."""
        found = []
        for dirpath, _dirs, files in os.walk(self.root):
            for file in files:
                name = os.path.relpath(os.path.join(dirpath, file), self.root)
                if name.startswith(prefix):
                    found.append(name)
        return sorted(found)
