"""The file driver on a real folder: the bytes, sparse copies, file modes, old qcow2 snapshots, capacity and failures."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from oslo_config import cfg

from drivers import rawfiles
from drivers.errors import BackendUnavailable, DriverError, SourceNotFound
from drivers.file import FileDriver

GiB = 1024 ** 3
MiB = 1024 ** 2
OFFSET = 512 * 1024 * 1024 + 4096  # well inside a 1 GiB volume, away from the start


def _write(driver: FileDriver, volume_id: str, data: bytes, offset: int = OFFSET) -> None:
    path = driver.volume_path(volume_id)
    assert path is not None
    with open(path, "r+b") as f:
        f.seek(offset)
        f.write(data)


def _read(driver: FileDriver, volume_id: str, length: int, offset: int = OFFSET) -> bytes:
    path = driver.volume_path(volume_id)
    assert path is not None
    with open(path, "rb") as f:
        f.seek(offset)
        return f.read(length)


OLD = b"\xa5" * 65536
NEW = b"\x3c" * 65536


def test_volume_from_snapshot_has_the_bytes_of_snapshot_time(file_driver: FileDriver) -> None:
    file_driver.create_volume("v1", 1)
    _write(file_driver, "v1", OLD)
    file_driver.create_snapshot("s1", volume_id="v1")
    _write(file_driver, "v1", NEW)

    file_driver.create_volume_from_snapshot("v2", 2, snapshot_id="s1", source_volume_id="v1")

    assert _read(file_driver, "v2", len(OLD)) == OLD
    assert _read(file_driver, "v1", len(NEW)) == NEW
    assert os.path.getsize(file_driver.volume_path("v2") or "") == 2 * GiB


def test_snapshot_is_a_raw_sparse_copy(file_driver: FileDriver, tmp_path: Path) -> None:
    file_driver.create_volume("v1", 1)
    _write(file_driver, "v1", OLD)
    file_driver.create_snapshot("s1", volume_id="v1")
    snapshot = tmp_path / "share" / "snapshot-s1.raw"
    assert snapshot.stat().st_size == GiB
    assert snapshot.stat().st_blocks * 512 < 4 * MiB
    with open(snapshot, "rb") as f:
        f.seek(OFFSET)
        assert f.read(len(OLD)) == OLD


def test_clone_has_the_current_bytes(file_driver: FileDriver) -> None:
    file_driver.create_volume("v1", 1)
    _write(file_driver, "v1", OLD)
    file_driver.create_snapshot("s1", volume_id="v1")
    _write(file_driver, "v1", NEW)

    file_driver.clone_volume("v3", 1, source_volume_id="v1")

    assert _read(file_driver, "v3", len(NEW)) == NEW


def test_extend_grows_the_file_and_keeps_data(file_driver: FileDriver) -> None:
    file_driver.create_volume("v1", 1)
    _write(file_driver, "v1", OLD)
    _write(file_driver, "v1", NEW, offset=0)

    file_driver.extend_volume("v1", 3)

    assert os.path.getsize(file_driver.volume_path("v1") or "") == 3 * GiB
    assert _read(file_driver, "v1", len(OLD)) == OLD
    assert _read(file_driver, "v1", len(NEW), offset=0) == NEW


def test_new_volume_is_sparse_and_reads_zeros(file_driver: FileDriver) -> None:
    file_driver.create_volume("v1", 1)
    path = file_driver.volume_path("v1") or ""
    assert os.stat(path).st_blocks * 512 < 1024 * 1024
    assert _read(file_driver, "v1", 4096) == bytes(4096)


def test_free_capacity_drops_as_volumes_are_created(make_file_driver: Callable[..., FileDriver]) -> None:
    driver = make_file_driver(file_capacity_gb=10)
    (empty,) = driver.pool_stats()
    assert empty.total_capacity_gb == 10
    assert empty.free_capacity_gb == 10

    driver.create_volume("v1", 1)
    driver.create_volume("v2", 3)
    (used,) = driver.pool_stats()
    assert used.free_capacity_gb == 6
    assert used.thin_provisioning_support is True
    assert used.pool_name == "share"
    assert used.extra["storage_protocol"] == "local"  # as its connections: driver_volume_type local

    driver.delete_volume("v2")
    assert driver.pool_stats()[0].free_capacity_gb == 9


def test_capacity_defaults_to_the_filesystem_size(file_driver: FileDriver, tmp_path: Path) -> None:
    fs = os.statvfs(tmp_path)
    (pool,) = file_driver.pool_stats()
    assert pool.total_capacity_gb == round(fs.f_blocks * fs.f_frsize / GiB, 2)


def test_thick_volume_is_fully_allocated(make_file_driver: Callable[..., FileDriver], tmp_path: Path) -> None:
    fs = os.statvfs(tmp_path)
    if fs.f_bavail * fs.f_frsize < 8 * GiB:
        pytest.skip("needs room to allocate a 1 GiB volume")
    driver = make_file_driver(file_sparse=False)
    driver.create_volume("v1", 1)
    _write(driver, "v1", OLD)
    driver.clone_volume("v2", 2, source_volume_id="v1")
    driver.extend_volume("v1", 2)
    for volume_id in ("v1", "v2"):
        assert os.stat(driver.volume_path(volume_id) or "").st_blocks * 512 >= 2 * GiB
        assert _read(driver, volume_id, len(OLD)) == OLD
    assert driver.pool_stats()[0].thin_provisioning_support is False


def test_missing_sources_raise_source_not_found(file_driver: FileDriver) -> None:
    with pytest.raises(SourceNotFound):
        file_driver.create_volume_from_snapshot("v2", 1, snapshot_id="nope", source_volume_id="v1")
    with pytest.raises(SourceNotFound):
        file_driver.clone_volume("v3", 1, source_volume_id="nope")
    with pytest.raises(SourceNotFound):
        file_driver.create_snapshot("s1", volume_id="nope")
    assert not os.path.exists(file_driver.volume_path("v2") or "")


def test_extend_of_a_missing_volume_fails(file_driver: FileDriver) -> None:
    with pytest.raises(DriverError):
        file_driver.extend_volume("nope", 2)


def test_clone_smaller_than_its_source_fails(file_driver: FileDriver) -> None:
    file_driver.create_volume("v1", 2)
    with pytest.raises(DriverError, match="more than"):
        file_driver.clone_volume("v3", 1, source_volume_id="v1")
    assert not os.path.exists(file_driver.volume_path("v3") or "")


def test_failed_copy_leaves_no_file_behind(file_driver: FileDriver, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    file_driver.create_volume("v1", 1)
    real_copy = rawfiles.copy

    def crash_after_copy(source: str, target: str, *, sparse: bool) -> object:
        real_copy(source, target, sparse=sparse)
        raise DriverError("simulated crash after the copy")

    monkeypatch.setattr(rawfiles, "copy", crash_after_copy)
    with pytest.raises(DriverError, match="simulated"):
        file_driver.clone_volume("v3", 1, source_volume_id="v1")
    with pytest.raises(DriverError, match="simulated"):
        file_driver.create_snapshot("s1", volume_id="v1")

    assert sorted(os.listdir(tmp_path / "share")) == ["volume-v1"]


def test_setup_creates_the_share(conf: cfg.ConfigOpts, tmp_path: Path) -> None:
    conf.set_override("file_share_path", str(tmp_path / "a" / "b"), group="file-1")
    FileDriver(conf, "file-1").setup()
    assert (tmp_path / "a" / "b").is_dir()


def test_share_defaults_to_state_path(conf: cfg.ConfigOpts, tmp_path: Path) -> None:
    conf.clear_override("file_share_path", group="file-1")
    driver = FileDriver(conf, "file-1")
    driver.setup()
    assert driver.volume_path("v1") == str(tmp_path / "state" / "volumes" / "file-1" / "volume-v1")


def test_setup_fails_on_an_unusable_share(conf: cfg.ConfigOpts, tmp_path: Path) -> None:
    (tmp_path / "plain-file").write_text("")
    conf.set_override("file_share_path", str(tmp_path / "plain-file" / "share"), group="file-1")
    with pytest.raises(BackendUnavailable, match="not writable"):
        FileDriver(conf, "file-1").setup()


def test_works_without_qemu_img_or_any_tool(conf: cfg.ConfigOpts, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    driver = FileDriver(conf, "file-1")
    driver.setup()
    driver.create_volume("v1", 1)
    _write(driver, "v1", OLD)
    driver.create_snapshot("s1", volume_id="v1")
    _write(driver, "v1", NEW)
    driver.create_volume_from_snapshot("v2", 1, snapshot_id="s1", source_volume_id="v1")
    driver.clone_volume("v3", 2, source_volume_id="v1")
    driver.extend_volume("v1", 2)
    driver.revert_to_snapshot("v1", snapshot_id="s1")
    assert _read(driver, "v2", len(OLD)) == OLD and _read(driver, "v3", len(NEW)) == NEW
    assert _read(driver, "v1", len(OLD)) == OLD and driver.volume_size("v1") == 2 * GiB


def test_setup_removes_stale_temporary_files(conf: cfg.ConfigOpts, tmp_path: Path) -> None:
    share = tmp_path / "share"
    share.mkdir()
    stale = share / ".volume-v1.0123.tmp"
    fresh = share / ".volume-v2.4567.tmp"
    stale.write_bytes(b"half")
    fresh.write_bytes(b"in progress")
    os.utime(stale, (0, 0))
    FileDriver(conf, "file-1").setup()
    assert not stale.exists()
    assert fresh.exists()


def test_ids_cannot_escape_the_share(file_driver: FileDriver) -> None:
    with pytest.raises(DriverError):
        file_driver.create_volume("../../etc", 1)


def test_different_volumes_in_parallel_threads(file_driver: FileDriver) -> None:
    file_driver.create_volume("src", 1)
    _write(file_driver, "src", OLD)

    def work(i: int) -> bytes:
        file_driver.create_volume(f"v{i}", 1)
        file_driver.clone_volume(f"c{i}", 1, source_volume_id="src")
        file_driver.create_snapshot(f"s{i}", volume_id=f"c{i}")
        file_driver.extend_volume(f"v{i}", 2)
        return _read(file_driver, f"c{i}", len(OLD))

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(work, range(6)))

    assert results == [OLD] * 6
    for i in range(6):
        assert os.path.getsize(file_driver.volume_path(f"v{i}") or "") == 2 * GiB


def _allocated(driver: FileDriver, volume_id: str) -> int:
    return os.stat(driver.volume_path(volume_id) or "").st_blocks * 512


def test_copies_keep_the_holes(file_driver: FileDriver, tmp_path: Path) -> None:
    """A 1 GiB volume holding 1 MiB: every copy of it allocates about 1 MiB, not 1 GiB."""
    file_driver.create_volume("v1", 1)
    _write(file_driver, "v1", OLD * 8, offset=0)
    _write(file_driver, "v1", NEW * 8, offset=GiB - MiB // 2)
    file_driver.create_snapshot("s1", volume_id="v1")
    file_driver.create_volume_from_snapshot("v2", 2, snapshot_id="s1", source_volume_id="v1")
    file_driver.clone_volume("v3", 1, source_volume_id="v1")
    _write(file_driver, "v1", NEW, offset=OFFSET)
    file_driver.revert_to_snapshot("v1", snapshot_id="s1")

    assert (tmp_path / "share" / "snapshot-s1.raw").stat().st_blocks * 512 <= MiB + 64 * 1024
    for volume_id in ("v1", "v2", "v3"):
        assert _allocated(file_driver, volume_id) <= MiB + 64 * 1024, volume_id
        assert _read(file_driver, volume_id, len(OLD) * 8, offset=0) == OLD * 8
        assert _read(file_driver, volume_id, len(NEW) * 8, offset=GiB - MiB // 2) == NEW * 8
        assert _read(file_driver, volume_id, 4096, offset=OFFSET) == bytes(4096)
    assert _read(file_driver, "v2", MiB, offset=GiB + MiB) == bytes(MiB)


def test_every_file_is_mode_0660(file_driver: FileDriver, tmp_path: Path) -> None:
    old_umask = os.umask(0o022)
    try:
        file_driver.create_volume("v1", 1)
        file_driver.create_snapshot("s1", volume_id="v1")
        file_driver.create_volume_from_snapshot("v2", 1, snapshot_id="s1", source_volume_id="v1")
        file_driver.clone_volume("v3", 1, source_volume_id="v1")
        file_driver.revert_to_snapshot("v1", snapshot_id="s1")
    finally:
        os.umask(old_umask)
    modes = {entry.name: entry.stat().st_mode & 0o777 for entry in os.scandir(tmp_path / "share")}
    assert modes == dict.fromkeys(["volume-v1", "volume-v2", "volume-v3", "snapshot-s1.raw"], 0o660)


def test_replays_keep_what_the_first_run_made(file_driver: FileDriver) -> None:
    file_driver.create_volume("v1", 1)
    _write(file_driver, "v1", OLD)
    file_driver.create_snapshot("s1", volume_id="v1")
    file_driver.clone_volume("v3", 1, source_volume_id="v1")
    file_driver.create_volume_from_snapshot("v2", 1, snapshot_id="s1", source_volume_id="v1")
    _write(file_driver, "v1", NEW)

    # a successor replaying the same requests: nothing is copied again
    file_driver.create_snapshot("s1", volume_id="v1")
    file_driver.clone_volume("v3", 1, source_volume_id="v1")
    file_driver.create_volume_from_snapshot("v2", 2, snapshot_id="s1", source_volume_id="v1")
    file_driver.create_volume("v1", 1)

    assert _read(file_driver, "v3", len(OLD)) == OLD
    assert _read(file_driver, "v2", len(OLD)) == OLD and file_driver.volume_size("v2") == 2 * GiB
    assert _read(file_driver, "v1", len(NEW)) == NEW
    file_driver.revert_to_snapshot("v1", snapshot_id="s1")
    file_driver.revert_to_snapshot("v1", snapshot_id="s1")
    assert _read(file_driver, "v1", len(OLD)) == OLD and file_driver.volume_size("v1") == GiB
    for _ in range(2):
        file_driver.delete_snapshot("s1", volume_id="v1")
        file_driver.delete_volume("v3")
    assert file_driver.volume_size("v3") is None


def test_a_qcow2_header_written_by_a_guest_stays_raw_bytes(file_driver: FileDriver) -> None:
    """The format comes from the file name, never from the bytes a guest wrote."""
    # magic, version 3, no backing file, 64 KiB clusters, 64 GiB
    header = (b"QFI\xfb" + (3).to_bytes(4, "big") + bytes(12) + (16).to_bytes(4, "big")
              + (64 * GiB).to_bytes(8, "big"))
    file_driver.create_volume("v1", 1)
    _write(file_driver, "v1", header, offset=0)
    file_driver.create_snapshot("s1", volume_id="v1")
    file_driver.create_volume_from_snapshot("v2", 1, snapshot_id="s1", source_volume_id="v1")
    file_driver.revert_to_snapshot("v1", snapshot_id="s1")
    for volume_id in ("v1", "v2"):
        assert _read(file_driver, volume_id, len(header), offset=0) == header
        assert file_driver.volume_size(volume_id) == GiB


def _legacy_snapshot(file_driver: FileDriver, tmp_path: Path, snapshot_id: str, volume_id: str) -> Path:
    """A snapshot as ember made them before: ``snapshot-<id>``, a qcow2 copy made by qemu-img."""
    target = tmp_path / "share" / f"snapshot-{snapshot_id}"
    subprocess.run(["qemu-img", "convert", "-f", "raw", "-O", "qcow2", file_driver.volume_path(volume_id) or "",
                    str(target)], check=True, capture_output=True)
    return target


needs_qemu_img = pytest.mark.skipif(shutil.which("qemu-img") is None, reason="qemu-img is not installed")


@needs_qemu_img
def test_old_qcow2_snapshots_are_read_through_qemu_img(file_driver: FileDriver, tmp_path: Path) -> None:
    file_driver.create_volume("v1", 1)
    _write(file_driver, "v1", OLD)
    legacy = _legacy_snapshot(file_driver, tmp_path, "s1", "v1")
    _write(file_driver, "v1", NEW)

    file_driver.create_snapshot("s1", volume_id="v1")  # a replay: the old snapshot stays as it is
    assert not (tmp_path / "share" / "snapshot-s1.raw").exists()
    file_driver.create_volume_from_snapshot("v2", 2, snapshot_id="s1", source_volume_id="v1")
    file_driver.revert_to_snapshot("v1", snapshot_id="s1")

    for volume_id, size_gb in (("v1", 1), ("v2", 2)):
        assert _read(file_driver, volume_id, len(OLD)) == OLD
        assert file_driver.volume_size(volume_id) == size_gb * GiB
        assert os.stat(file_driver.volume_path(volume_id) or "").st_mode & 0o777 == 0o660
        assert _allocated(file_driver, volume_id) < 4 * MiB
    with pytest.raises(DriverError, match="more than"):
        file_driver.create_volume_from_snapshot("v3", 0, snapshot_id="s1", source_volume_id="v1")
    file_driver.delete_snapshot("s1", volume_id="v1")
    assert not legacy.exists()
    with pytest.raises(SourceNotFound):
        file_driver.create_volume_from_snapshot("v4", 1, snapshot_id="s1", source_volume_id="v1")


@needs_qemu_img
def test_an_old_qcow2_snapshot_without_qemu_img_names_the_package(file_driver: FileDriver, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    file_driver.create_volume("v1", 1)
    _legacy_snapshot(file_driver, tmp_path, "s1", "v1")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(BackendUnavailable, match=r"qcow2 .* needs qemu-img: .*apt-get install qemu-utils"):
        file_driver.create_volume_from_snapshot("v2", 1, snapshot_id="s1", source_volume_id="v1")
    assert file_driver.volume_size("v2") is None
    # what needs no qemu-img still works
    file_driver.create_snapshot("s2", volume_id="v1")
    file_driver.create_volume_from_snapshot("v3", 1, snapshot_id="s2", source_volume_id="v1")
