"""File operations the file-based drivers share: OS errors as driver errors, and atomic writes.

A new file is written under a hidden temporary name in its final folder and renamed into
place, so a final name always holds a whole file; a crash leaves only a temporary file,
which :func:`remove_stale_tmp_files` clears later.
"""

from __future__ import annotations

import errno
import logging
import os
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING

from drivers.errors import BackendUnavailable, DriverError, NotEnoughSpace

if TYPE_CHECKING:
    from drivers.permissions import FileGuard

log = logging.getLogger(__name__)

TMP_SUFFIX = ".tmp"
STALE_TMP_S = 3600.0  # a temporary file untouched this long belongs to a crashed operation
_NO_SPACE = (errno.ENOSPC, errno.EDQUOT)
_UNREACHABLE = (errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOTDIR, errno.ESTALE, errno.EIO)


@contextmanager
def translated(action: str) -> Iterator[None]:
    """Turn an OSError raised while doing ``action`` into the matching driver error."""
    try:
        yield
    except OSError as exc:
        message = f"{action}: {exc.strerror or exc}"
        if exc.errno in _NO_SPACE:
            raise NotEnoughSpace(message) from exc
        if exc.errno in _UNREACHABLE:
            raise BackendUnavailable(message) from exc
        raise DriverError(message) from exc


def check_id(resource_id: str) -> str:
    # Ids become file and LV names: nothing that could leave the folder, and no dot, which
    # separates a volume's name from its snapshots' in the nfs driver's files.
    if not resource_id or any(c in resource_id for c in "/.\0") or len(resource_id) > 64:
        raise DriverError(f"invalid id for a file name: {resource_id!r}")
    return resource_id


def tmp_name(final: str) -> str:
    folder, name = os.path.split(final)
    return os.path.join(folder, f".{name}.{uuid.uuid4().hex}{TMP_SUFFIX}")


def write_atomically(final: str, write: Callable[[str], None], *, guard: FileGuard | None = None) -> None:
    """Call ``write(tmp)`` to fill a temporary file, then move it to ``final``.

    With ``guard``, the temporary file is created empty with the guard's permissions before
    ``write`` fills it (the writers open an existing file and keep its mode), and checked again
    before the move: no name ever shows the file with a looser mode.
    """
    tmp = tmp_name(final)
    try:
        if guard is not None:
            guard.create_empty(tmp)
        write(tmp)
        if guard is not None:
            guard.apply(tmp)
        with translated(f"cannot move {tmp} to {final}"):
            os.replace(tmp, final)
    except BaseException:
        with suppress(OSError):
            os.unlink(tmp)
        raise
    sync_folder(os.path.dirname(final))


def sync_folder(folder: str) -> None:
    # Makes a rename durable; some filesystems refuse fsync on a folder, which is harmless.
    with suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def remove(path: str) -> bool:
    """Remove ``path``; False if it was not there."""
    with translated(f"cannot remove {path}"):
        try:
            os.unlink(path)
        except FileNotFoundError:
            return False
    log.info("removed %s", path)
    return True


def remove_stale_tmp_files(folder: str) -> None:
    cutoff = time.time() - STALE_TMP_S
    with os.scandir(folder) as entries:
        for entry in entries:
            if not (entry.name.startswith(".") and entry.name.endswith(TMP_SUFFIX)):
                continue
            with suppress(OSError):
                if entry.stat().st_mtime < cutoff:
                    os.unlink(entry.path)
                    log.warning("removed %s left by an interrupted operation", entry.path)
