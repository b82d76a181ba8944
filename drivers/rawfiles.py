"""Raw disk image files made with plain file operations: create, grow, and sparse copies (the file driver's).

A raw image is its bytes, so no qemu-img is needed. A copy visits only the source's data
(``SEEK_DATA``/``SEEK_HOLE``), so its holes stay holes: first a reflink of the whole file where
the filesystem shares extents (``FICLONE``: btrfs, XFS), else ``os.copy_file_range`` of each data
range (in the kernel, no bytes through this process), else reads and writes that skip zero
blocks. ``sparse=False`` then allocates every byte (``posix_fallocate``). New files are mode
0660: a volume's bytes are its user's, not every local user's. OS errors propagate (the
caller translates them); every function fsyncs what it wrote.
"""

from __future__ import annotations

import errno
import fcntl
import os
from collections.abc import Iterator
from enum import StrEnum

FILE_MODE = 0o660
_FICLONE = 0x40049409  # _IOW(0x94, 9, int), linux/fs.h
_CHUNK = 8 * 1024 * 1024
# errors that mean "this filesystem (pair) cannot do that": fall back to the next method
_UNSUPPORTED = {errno.EXDEV, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTTY, errno.EINVAL, errno.EPERM,
                errno.ETXTBSY}


class CopyMethod(StrEnum):
    REFLINK = "reflink"
    COPY_FILE_RANGE = "copy_file_range"
    READ_WRITE = "read-write"


def create(path: str, size: int, *, sparse: bool) -> None:
    """A new file ``path`` (it must not exist) of ``size`` bytes reading zeros."""
    fd = _create(path)
    try:
        _grow(fd, size, sparse=sparse)
        os.fsync(fd)
    finally:
        os.close(fd)


def grow(path: str, size: int, *, sparse: bool) -> None:
    """Grow the file to ``size`` bytes if it is smaller (the new part reads zeros); a larger file is left alone."""
    fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
    try:
        if os.fstat(fd).st_size < size:
            _grow(fd, size, sparse=sparse)
            os.fsync(fd)
    finally:
        os.close(fd)


def copy(source: str, target: str, *, sparse: bool) -> tuple[int, CopyMethod]:
    """Copy ``source`` to a new file ``target`` (it must not exist): its size and the method that copied it.

    The size is the source's when opened; the copy reads the open file, so a source removed
    meanwhile is still copied whole.
    """
    src = os.open(source, os.O_RDONLY | os.O_CLOEXEC)
    try:
        size = os.fstat(src).st_size
        dst = _create(target)
        try:
            method = _copy_data(src, dst, size)
            size = os.fstat(dst).st_size  # a reflink takes the source as it is now
            if not sparse:
                os.posix_fallocate(dst, 0, size)
            os.fsync(dst)
        finally:
            os.close(dst)
    finally:
        os.close(src)
    return size, method


def data_ranges(fd: int, size: int) -> Iterator[tuple[int, int]]:
    """The (start, end) ranges of ``fd``'s first ``size`` bytes that hold data; all of it where the
    filesystem cannot tell holes."""
    offset = 0
    while offset < size:
        try:
            start = os.lseek(fd, offset, os.SEEK_DATA)
        except OSError as exc:
            if exc.errno == errno.ENXIO:  # nothing but a hole up to the end
                return
            if exc.errno in _UNSUPPORTED:
                yield offset, size
                return
            raise
        if start >= size:
            return
        end = min(os.lseek(fd, start, os.SEEK_HOLE), size)
        yield start, end
        offset = end


def _create(path: str) -> int:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)  # whatever the umask
    except BaseException:
        os.close(fd)
        raise
    return fd


def _grow(fd: int, size: int, *, sparse: bool) -> None:
    current = os.fstat(fd).st_size
    if sparse:
        os.ftruncate(fd, size)
    else:
        os.posix_fallocate(fd, current, size - current)


def _copy_data(src: int, dst: int, size: int) -> CopyMethod:
    if _reflink(src, dst):
        return CopyMethod.REFLINK
    method = CopyMethod.COPY_FILE_RANGE
    for start, end in data_ranges(src, size):
        if method is CopyMethod.COPY_FILE_RANGE:
            start = _copy_file_range(src, dst, start, end)
            if start < end:
                method = CopyMethod.READ_WRITE
        if method is CopyMethod.READ_WRITE:
            _read_write(src, dst, start, end)
    os.ftruncate(dst, size)
    return method


def reflink_supported(folder: str) -> bool:
    """Whether files in ``folder`` can share extents: a reflink copy is then one atomic point in time."""
    source, clone = os.path.join(folder, ".reflink-probe"), os.path.join(folder, ".reflink-probe-clone")
    try:
        src = os.open(source, os.O_RDWR | os.O_CREAT | os.O_TRUNC, FILE_MODE)
        try:
            os.write(src, b"probe")
            dst = os.open(clone, os.O_RDWR | os.O_CREAT | os.O_TRUNC, FILE_MODE)
            try:
                return _reflink(src, dst)
            finally:
                os.close(dst)
        finally:
            os.close(src)
    finally:
        for path in (source, clone):
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass


def _reflink(src: int, dst: int) -> bool:
    try:
        fcntl.ioctl(dst, _FICLONE, src)
    except OSError as exc:
        if exc.errno in _UNSUPPORTED:
            return False
        raise
    return True


def _copy_file_range(src: int, dst: int, start: int, end: int) -> int:
    """Copy [start, end) in the kernel; return where it stopped (``end`` when done, less if unsupported here)."""
    offset = start
    while offset < end:
        try:
            copied = os.copy_file_range(src, dst, end - offset, offset, offset)
        except OSError as exc:
            if exc.errno in _UNSUPPORTED:
                return offset
            raise
        if copied == 0:  # the source is shorter than it was: what is left reads zeros
            return end
        offset += copied
    return end


def _read_write(src: int, dst: int, start: int, end: int) -> None:
    offset = start
    while offset < end:
        chunk = os.pread(src, min(_CHUNK, end - offset), offset)
        if not chunk:
            return
        if chunk.count(0) != len(chunk):  # zeros stay a hole: the new file reads zeros there already
            view = memoryview(chunk)
            while view:
                written = os.pwrite(dst, view, offset + len(chunk) - len(view))
                view = view[written:]
        offset += len(chunk)
