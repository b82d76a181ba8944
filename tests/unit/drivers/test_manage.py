"""Manage and unmanage in the file and nfs drivers, on real folders: what is listed, what is refused,
the takeover under ember's name with the data in place, a replay after the rename, and unmanage."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from drivers.errors import DriverError, ManageRefInvalid
from drivers.file import FileDriver
from drivers.manageable import source_name
from drivers.nfs import NfsDriver

GiB = 1024 ** 3
MiB = 1024 ** 2
ID = "0b0e0e0e-0000-4000-8000-000000000001"


def _share(driver: FileDriver) -> Path:
    path = driver.volume_path("x")
    assert path is not None
    return Path(path).parent


def _foreign(folder: Path, name: str, size: int, payload: bytes = b"foreign data") -> Path:
    path = folder / name
    with open(path, "wb") as f:
        f.write(payload)
        f.truncate(size)
    return path


def test_references() -> None:
    assert source_name({"source-name": "lv1"}) == "lv1"
    assert source_name({"source-id": "abc"}) == "volume-abc"
    for bad in ({}, {"source-name": ""}, {"source-name": ".hidden"}, {"other": "x"}):
        with pytest.raises(ManageRefInvalid):
            source_name(bad)


def test_file_driver_lists_manages_and_unmanages(file_driver: FileDriver) -> None:
    share = _share(file_driver)
    _foreign(share, "legacy.img", 1536 * MiB)
    _foreign(share, "image.qcow2", MiB, b"QFI\xfb\0\0\0\3")
    file_driver.create_volume("mine", 1)
    listed = {e.name: e for e in file_driver.manageable_volumes()}
    assert listed["legacy.img"].size_gb == 2 and listed["legacy.img"].reason_not_safe is None
    assert "qcow2" in str(listed["image.qcow2"].reason_not_safe)
    assert listed["volume-mine"].ember_id == "mine"  # the service marks it managed when the id is live
    with pytest.raises(ManageRefInvalid):
        file_driver.manageable_volume("image.qcow2")
    with pytest.raises(ManageRefInvalid):
        file_driver.manageable_volume("missing")
    assert file_driver.manageable_volume("legacy.img").size_gb == 2

    file_driver.manage_volume(ID, "legacy.img", size_gb=2)
    path = file_driver.volume_path(ID)
    assert path is not None and not (share / "legacy.img").exists()
    assert os.path.getsize(path) == 2 * GiB  # grown to the whole GiB it is shown as
    with open(path, "rb") as f:
        assert f.read(12) == b"foreign data"
    file_driver.manage_volume(ID, "legacy.img", size_gb=2)  # a replay after the rename: done

    file_driver.unmanage_volume(ID)
    assert os.path.exists(path)  # the data stays, under its name


def test_file_driver_refuses_to_take_a_name_twice(file_driver: FileDriver) -> None:
    share = _share(file_driver)
    file_driver.create_volume(ID, 1)
    _foreign(share, "other.img", MiB)
    with pytest.raises(DriverError):
        file_driver.manage_volume(ID, "other.img", size_gb=1)
    assert (share / "other.img").exists()


def test_file_driver_snapshots(file_driver: FileDriver) -> None:
    file_driver.create_volume("v", 1)
    file_driver.create_snapshot("s-old", volume_id="v")
    assert [(e.name, e.ember_id) for e in file_driver.manageable_snapshots()] == [("snapshot-s-old.raw", "s-old")]
    file_driver.manage_snapshot("s-new", volume_id="v", name="snapshot-s-old.raw")
    assert file_driver.data_location("v", snapshot_id="s-new").location.endswith("snapshot-s-new.raw")
    file_driver.manage_snapshot("s-new", volume_id="v", name="snapshot-s-old.raw")  # replay
    with pytest.raises(ManageRefInvalid):
        file_driver.manageable_snapshot("volume-v")


def test_nfs_driver_manages_raw_and_qcow2_files(nfs_driver: NfsDriver, tmp_path: Path) -> None:
    export = tmp_path / "export-a"
    _foreign(export, "raw.img", 700 * MiB)
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(export / "disk.qcow2"), "3G"], check=True)
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-b", str(export / "disk.qcow2"), "-F", "qcow2",
                    str(export / "overlay.qcow2")], check=True)
    listed = {e.name: e for e in nfs_driver.manageable_volumes()}
    raw, qcow2, overlay = (f"127.0.0.1:{export}/{n}" for n in ("raw.img", "disk.qcow2", "overlay.qcow2"))
    assert (listed[raw].size_gb, listed[raw].extra_info) == (1, {"format": "raw"})
    assert (listed[qcow2].size_gb, listed[qcow2].extra_info) == (3, {"format": "qcow2"})
    assert "overlay" in str(listed[overlay].reason_not_safe)
    with pytest.raises(ManageRefInvalid):
        nfs_driver.manageable_volume(overlay)

    nfs_driver.manage_volume(ID, "raw.img", size_gb=1)  # a bare name: the one share holding it
    nfs_driver.manage_volume("qcow", qcow2, size_gb=3)
    assert nfs_driver.volume_size(ID) == GiB and nfs_driver.volume_size("qcow") == 3 * GiB
    with open(export / f"volume-{ID}", "rb") as f:
        assert f.read(12) == b"foreign data"
    assert nfs_driver.data_location("qcow").format == "qcow2"
    nfs_driver.create_snapshot("s1", volume_id=ID)
    nfs_driver.delete_snapshot("s1", volume_id=ID)

    nfs_driver.unmanage_volume(ID)  # the overlay left by the deleted snapshot becomes volume-<id> again
    assert nfs_driver.volume_size(ID) is None
    names = {e.name for e in nfs_driver.manageable_volumes()}
    assert f"127.0.0.1:{export}/volume-{ID}" in names
    nfs_driver.manage_volume("again", f"volume-{ID}", size_gb=1)
    location = nfs_driver.data_location("again")
    assert location.format == "qcow2"  # the overlay, found by its header: read through qemu
    flat = tmp_path / "flat.raw"
    subprocess.run(["qemu-img", "convert", "-f", "qcow2", "-O", "raw", location.location, str(flat)], check=True)
    with open(flat, "rb") as f:
        assert f.read(12) == b"foreign data"


def test_nfs_driver_finishes_a_manage_cut_after_its_record(nfs_driver: NfsDriver, tmp_path: Path) -> None:
    export = tmp_path / "export-b"
    _foreign(export, "late.img", GiB)
    entry = nfs_driver.manageable_volume("late.img")
    from drivers import nfs_chain
    from drivers.nfs_chain import Chain
    nfs_chain.write(str(export), ID, Chain(active=f"volume-{ID}", formats={f"volume-{ID}": "raw"}))
    assert entry.pool == f"127.0.0.1:{export}"
    nfs_driver.manage_volume(ID, "late.img", size_gb=1)
    assert nfs_driver.volume_size(ID) == GiB and not (export / "late.img").exists()
