"""Manage and unmanage for the nfs driver: a plain raw or qcow2 file of a share becomes a volume
under ember's name.

A reference names a file as ``<share address>/<file>`` (the manageable list's form) or by its name
alone when one share holds it. Snapshots are overlays of their volume's chain: not managed here.
``NfsDriver`` holds an :class:`NfsManagement` and hands it the driver's shares, file guard, record
lookup and growth, so a managed file is recorded, guarded and grown as a volume ember made.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from contextlib import suppress

from drivers import fileops, images, manageable, nfs_chain
from drivers.errors import DriverError, ManageRefInvalid
from drivers.fileops import translated
from drivers.locks import VolumeLocks
from drivers.nfs_chain import Chain, base_name
from drivers.nfs_shares import Share
from drivers.permissions import FileGuard

log = logging.getLogger(__name__)

GiB = 1024 ** 3


class NfsManagement:
    def __init__(self, locks: VolumeLocks, *,
                 shares: Callable[[], Mapping[str, Share]],
                 guard: Callable[[], FileGuard],
                 find: Callable[[str], tuple[Share, Chain] | None],
                 active_info: Callable[[Share, str, Chain], images.ImageInfo],
                 grow_existing: Callable[[str, int], bool]) -> None:
        self._locks = locks
        self._shares = shares
        self._guard = guard
        self._find = find
        self._active_info = active_info
        self._grow_existing = grow_existing

    def manageable_volumes(self) -> list[manageable.Manageable]:
        found = []
        for share in self._shares().values():
            for name in self._plain_files(share):
                with suppress(FileNotFoundError):
                    found.append(self._entry(share, name))
        return found

    def manageable_snapshots(self) -> list[manageable.Manageable]:
        return []

    def manageable_volume(self, name: str) -> manageable.Manageable:
        share, file_name = self._locate(name)
        entry = self._entry(share, file_name)
        if entry.reason_not_safe:
            raise ManageRefInvalid(f"{name} cannot be managed: {entry.reason_not_safe}")
        if entry.ember_id is not None and nfs_chain.read(share.local_path, entry.ember_id) is not None:
            raise ManageRefInvalid(f"{name} is the file of a volume this backend holds")
        return entry

    def manage_volume(self, volume_id: str, name: str, *, size_gb: int) -> None:
        """Record the file as the volume's (its format as found), rename it to the volume's name, grow it
        to whole GiB. The record is written first: a replay finds it and finishes the rename."""
        with self._locks.hold(volume_id):
            found = self._find(volume_id)
            if found is None:
                entry = self.manageable_volume(name)
                share = self._shares()[str(entry.pool)]
                fmt = (entry.extra_info or {}).get("format", "raw")
                chain = Chain(active=base_name(volume_id), formats={base_name(volume_id): fmt})
                nfs_chain.write(share.local_path, volume_id, chain, guard=self._guard())
            else:
                share, chain = found
            path = os.path.join(share.local_path, chain.active)
            if not os.path.exists(path):
                _, file_name = self._locate(name, share)
                source = os.path.join(share.local_path, file_name)
                with translated(f"cannot rename {source}"):
                    os.rename(source, path)
                fileops.sync_folder(share.local_path)
                with suppress(OSError):
                    self._guard().apply(path)
            if self._active_info(share, volume_id, chain).virtual_size > size_gb * GiB:
                raise DriverError(f"{name} is larger than the {size_gb} GiB it was managed as")
            self._grow_existing(volume_id, size_gb)
        log.info("managed %s as volume %s (%d GiB) on %s", name, volume_id, size_gb, share.address)

    def unmanage_volume(self, volume_id: str) -> None:
        """The volume's data stays as one file named ``volume-<id>``; its record goes."""
        with self._locks.hold(volume_id):
            found = self._find(volume_id)
            if found is None:
                return
            share, chain = found
            if chain.snapshots:
                raise DriverError(f"volume {volume_id} still has snapshots on its share")
            base = base_name(volume_id)
            if chain.active != base and os.path.exists(os.path.join(share.local_path, chain.active)):
                # the overlay a deleted snapshot left on top: it holds every byte now (no backing file)
                with translated(f"cannot rename {chain.active}"):
                    os.replace(os.path.join(share.local_path, chain.active), os.path.join(share.local_path, base))
            fileops.remove(nfs_chain.info_path(share.local_path, volume_id))
        log.info("unmanaged volume %s: its file stays on %s", volume_id, share.address)

    def manageable_snapshot(self, name: str) -> manageable.Manageable:
        raise ManageRefInvalid("the nfs driver does not manage snapshots: they are overlays in their volume's "
                               "chain of files")

    def manage_snapshot(self, snapshot_id: str, *, volume_id: str, name: str) -> None:
        self.manageable_snapshot(name)

    def unmanage_snapshot(self, snapshot_id: str, *, volume_id: str) -> None:
        raise DriverError("the nfs driver does not unmanage snapshots: a snapshot's file is part of its "
                          "volume's chain; delete the snapshot instead")

    def _plain_files(self, share: Share) -> list[str]:
        """The share's files but temporary files, records and the overlays of recorded volumes."""
        with translated(f"cannot list nfs share {share.address}"), os.scandir(share.local_path) as entries:
            names = sorted(e.name for e in entries if e.is_file(follow_symlinks=False)
                           and not e.name.startswith(".") and not e.name.endswith(nfs_chain.INFO_SUFFIX))
        recorded = {n.partition(".")[0] for n in names if "." in n and n.startswith(manageable.VOLUME_PREFIX)}
        return [n for n in names if "." not in n or n.partition(".")[0] not in recorded]

    def _entry(self, share: Share, name: str) -> manageable.Manageable:
        path = os.path.join(share.local_path, name)
        fmt = manageable.file_format(path)
        info = images.inspect(path, fmt)
        reason = None
        if info.backing_file:
            reason = f"it is a qcow2 overlay of {info.backing_file}"
        elif "." in name and name.startswith(manageable.VOLUME_PREFIX):
            reason = "it is a snapshot overlay of an ember volume"
        elif manageable.open_elsewhere(path):
            reason = "a process on this host has it open"
        return manageable.Manageable(name=f"{share.address}/{name}", size_gb=manageable.rounded_gb(info.virtual_size),
                                     reason_not_safe=reason, ember_id=manageable.ember_id_of(name),
                                     extra_info={"format": fmt}, pool=share.address)

    def _locate(self, name: str, share: Share | None = None) -> tuple[Share, str]:
        """(share, file name) of a reference's name: ``<share address>/<file>``, or a file of one share."""
        address, slash, file_name = name.rpartition("/")
        if not slash:
            address, file_name = "", name
        shares = [share] if share is not None else list(self._shares().values())
        holders = [s for s in shares if (not address or s.address == address)
                   and os.path.isfile(os.path.join(s.local_path, file_name))]
        if not file_name or file_name.startswith(".") or len(holders) != 1:
            raise ManageRefInvalid(f"no nfs share of this backend holds {name}" if not holders else
                                   f"{name} is on more than one share; name it as <share address>/<file>")
        return holders[0], file_name
