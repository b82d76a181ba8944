"""A raw volume reached as a path: an LVM LV's device (or its loop device), a file on an NFS share, any file.

Reads use O_DIRECT when the file system and size allow it, so a backup neither pollutes nor profits
from the page cache; the caller's buffers are page aligned (mmap). Writes of whole pages from aligned
buffers use O_DIRECT too (a restore is not throttled as dirty pages pile up), others go through the page
cache; one fsync at ``flush``.
"""

from __future__ import annotations

import ctypes
import os

from backup.engine.errors import VolumeIOError

_ALIGN = 4096


def _size(fd: int) -> int:
    return os.lseek(fd, 0, os.SEEK_END)  # works for block devices too


class FileVolumeReader:
    def __init__(self, path: str, *, direct: bool = True) -> None:
        self.path = path
        self.direct = False
        try:
            fd = os.open(path, os.O_RDONLY)
            self.size = _size(fd)
            if direct and self.size % _ALIGN == 0:
                try:
                    direct_fd = os.open(path, os.O_RDONLY | os.O_DIRECT)
                    os.close(fd)
                    fd, self.direct = direct_fd, True
                except OSError:
                    pass  # tmpfs and some FUSE file systems refuse O_DIRECT
        except OSError as exc:
            raise VolumeIOError(f"opening {path} for reading: {exc}") from exc
        self._fd = fd

    def read_into(self, offset: int, buf: memoryview) -> int:
        want = min(len(buf), self.size - offset)
        done = 0
        try:
            while done < want:
                # with O_DIRECT the length must stay aligned: ask for the whole rest of the aligned buffer
                got = os.preadv(self._fd, [buf[done:want if not self.direct else len(buf)]], offset + done)
                if got == 0:
                    break
                done += got
        except OSError as exc:
            raise VolumeIOError(f"reading {self.path} at {offset + done}: {exc}") from exc
        return min(done, want)

    def close(self) -> None:
        os.close(self._fd)


def _aligned(view: memoryview) -> bool:
    """Whether O_DIRECT can write ``view``: whole pages, at a page-aligned address (mmap'ed buffers)."""
    if view.readonly or len(view) % _ALIGN or not view.c_contiguous or not len(view):
        return False
    try:
        return ctypes.addressof(ctypes.c_char.from_buffer(view)) % _ALIGN == 0
    except (TypeError, ValueError):
        return False


class FileVolumeWriter:
    """Writes page-aligned whole pages with O_DIRECT (no page cache, no dirty-page throttling), anything
    else through the page cache; ``flush`` fsyncs both."""

    def __init__(self, path: str, *, zeroed: bool = False, direct: bool = True) -> None:
        self.path = path
        self.zeroed = zeroed
        self._direct_fd: int | None = None
        try:
            self._fd = os.open(path, os.O_WRONLY)
            self.size = _size(self._fd)
            if direct:
                try:
                    self._direct_fd = os.open(path, os.O_WRONLY | os.O_DIRECT)
                except OSError:
                    pass  # tmpfs and some FUSE file systems refuse O_DIRECT
        except OSError as exc:
            raise VolumeIOError(f"opening {path} for writing: {exc}") from exc

    def write(self, offset: int, data: bytes | bytearray | memoryview) -> None:
        view = memoryview(data)
        fd = self._direct_fd if self._direct_fd is not None and offset % _ALIGN == 0 and _aligned(view) \
            else self._fd
        pos = offset
        try:
            while view:
                written = os.pwrite(fd, view, pos)
                view = view[written:]
                pos += written
                fd = self._fd if written % _ALIGN else fd  # a short odd write: finish through the cache
        except OSError as exc:
            raise VolumeIOError(f"writing {self.path} at {pos}: {exc}") from exc

    def write_zeroes(self, offset: int, length: int) -> None:
        if self.zeroed:
            return
        step = 1024 * 1024
        zeros = bytes(min(step, length))
        for start in range(offset, offset + length, step):
            self.write(start, memoryview(zeros)[:min(step, offset + length - start)])

    def flush(self) -> None:
        try:
            os.fsync(self._fd)
        except OSError as exc:
            raise VolumeIOError(f"flushing {self.path}: {exc}") from exc

    def close(self) -> None:
        os.close(self._fd)
        if self._direct_fd is not None:
            os.close(self._direct_fd)
