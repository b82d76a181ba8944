"""A backup store in a POSIX folder (an NFS mount in production, a local folder in tests).

An object is written to a temporary name in its folder, then renamed over its final name, so a reader
sees either no object or the whole object. Durability is batched: ``commit`` fsyncs every object
written since the last commit, and their folders, on a few threads (one fsync per 4 MiB object
halved the backup rate). The engine commits before it writes the metadata document and again after
it, so a crash leaves either no metadata document or a durable backup.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from backup.engine.errors import ObjectMissing, StoreError
from backup.stores.base import Buffer, as_parts

_TMP_SUFFIX = ".partial"


class PosixStore:
    def __init__(self, root: str | Path, *, fsync: bool = True) -> None:
        self.root = Path(root)
        self.fsync = fsync
        self._unsynced: set[Path] = set()
        self._lock = threading.Lock()
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

    def put(self, name: str, parts: Sequence[Buffer]) -> None:
        parts = as_parts(parts)
        path = self._path(name)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}{_TMP_SUFFIX}")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
            try:
                _write_all(fd, parts)
                # starts writeback now (commit's fsync then waits for little) and keeps backups out of
                # the page cache
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)
            os.replace(tmp, path)
            with self._lock:
                self._unsynced.add(path)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise StoreError(f"posix store {self.root}: writing {name}: {exc}") from exc

    def commit(self) -> None:
        with self._lock:
            paths, self._unsynced = self._unsynced, set()
        if not self.fsync or not paths:
            return
        try:
            with ThreadPoolExecutor(max_workers=4) as pool:
                list(pool.map(_fsync_path, paths))
                list(pool.map(_fsync_path, {p.parent for p in paths}))
        except OSError as exc:
            raise StoreError(f"posix store {self.root}: fsync: {exc}") from exc

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


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if path.is_dir() else 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_all(fd: int, parts: Sequence[Buffer]) -> None:
    """One writev for the whole object (no join copy); a short write finishes part by part."""
    written = os.writev(fd, parts)
    for part in parts:
        view = memoryview(part)
        if written >= len(view):
            written -= len(view)
            continue
        view = view[written:]
        written = 0
        while view:
            view = view[os.write(fd, view):]
