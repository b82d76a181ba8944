"""The mode, owner and group of the files the nfs driver writes (Cinder's secure NAS file permissions).

Every file gets 0660 and the backend's owner and group whatever the process's umask, so hosts
that mount the share open a volume only as that owner or group (the compute hosts' qemu, say),
never as "other". A change the service's user may not make itself (a file of another owner, a
group it is not in) goes through the backend's root helper.
"""

from __future__ import annotations

import grp
import os
import pwd
import stat
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass

from drivers.errors import BackendUnavailable, DriverError
from drivers.fileops import tmp_name, translated
from drivers.runner import Runner

SECURE_MODE = 0o660


@dataclass(frozen=True)
class FilePermissions:
    mode: int
    uid: int
    gid: int

    @classmethod
    def resolve(cls, *, owner: str | None, group: str | None, mode: int = SECURE_MODE) -> FilePermissions:
        """``owner`` and ``group`` as names or numeric ids; None: the service's own user and group."""
        return cls(mode, _uid(owner) if owner else os.geteuid(), _gid(group) if group else os.getegid())

    def describe(self) -> str:
        return f"{self.mode:04o} {_user_name(self.uid)}:{_group_name(self.gid)}"


class FileGuard:
    """Brings files to the backend's permissions (None: leaves them as they are)."""

    def __init__(self, permissions: FilePermissions | None, runner: Runner) -> None:
        self.permissions = permissions
        self._runner = runner

    def apply(self, path: str) -> None:
        """Give ``path`` the mode, owner and group; nothing to do when it has them already.

        The file is opened without following a symlink and changed through that descriptor, so a
        name swapped for a link (by a host that mounts the share) never redirects the change.
        """
        wanted = self.permissions
        if wanted is None:
            return
        with translated(f"cannot open {path} to set its permissions"):
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        try:
            with translated(f"cannot set the permissions of {path}"):
                now = os.fstat(fd)
                if not stat.S_ISREG(now.st_mode):
                    raise BackendUnavailable(f"{path} is not a regular file")
                # the mode first: once the owner is another user, the service's user may not change it
                if stat.S_IMODE(now.st_mode) != wanted.mode:
                    self._privileged(lambda: os.fchmod(fd, wanted.mode), ["chmod", f"{wanted.mode:o}", path])
                if (now.st_uid, now.st_gid) != (wanted.uid, wanted.gid):
                    self._privileged(lambda: os.fchown(fd, wanted.uid, wanted.gid),
                                     ["chown", "-h", f"{wanted.uid}:{wanted.gid}", path])
        finally:
            os.close(fd)

    def _privileged(self, change: Callable[[], None], argv: list[str]) -> None:
        try:
            change()
        except PermissionError:
            self._runner.run(argv, root=True, timeout_s=60.0)

    def probe(self, folder: str) -> None:
        """Write a file in ``folder`` and give it the permissions: the backend can, or this raises."""
        probe = tmp_name(os.path.join(folder, "probe"))
        try:
            with open(probe, "wb"):
                pass
            self.apply(probe)
        finally:
            with suppress(OSError):
                os.unlink(probe)

    def apply_to_folder(self, folder: str, *, prefix: str) -> None:
        """Bring the files of ``folder`` named ``prefix...`` (an earlier run's, or version's) to the permissions."""
        if self.permissions is None:
            return
        with translated(f"cannot list {folder}"), os.scandir(folder) as entries:
            names = [e.name for e in entries if e.name.startswith(prefix) and e.is_file(follow_symlinks=False)]
        for name in names:
            path = os.path.join(folder, name)
            try:
                self.apply(path)
            except DriverError:
                if os.path.lexists(path):
                    raise
                # gone meanwhile: deleted, or renamed over, by the active service of a shared backend

    def create_empty(self, path: str) -> None:
        """A new empty file at ``path`` that nobody but its owner can open until it has the permissions
        (without permissions to give, nothing: the writer makes the file as it does)."""
        if self.permissions is None:
            return
        with translated(f"cannot create {path}"):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600))
        self.apply(path)


def _uid(owner: str) -> int:
    if owner.isdigit():
        return int(owner)
    try:
        return pwd.getpwnam(owner).pw_uid
    except KeyError:
        raise BackendUnavailable(f"nas_file_owner {owner!r} is no user of this host") from None


def _gid(group: str) -> int:
    if group.isdigit():
        return int(group)
    try:
        return grp.getgrnam(group).gr_gid
    except KeyError:
        raise BackendUnavailable(f"nas_file_group {group!r} is no group of this host") from None


def _user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _group_name(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)
