"""The file driver on a real folder with qemu-img: the bytes, the capacity and the failure cases."""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from oslo_config import cfg

from drivers import runner
from drivers.errors import BackendUnavailable, DriverError, SourceNotFound
from drivers.file import FileDriver

GiB = 1024 ** 3
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


def test_snapshot_file_is_compact(file_driver: FileDriver, tmp_path: Path) -> None:
    file_driver.create_volume("v1", 1)
    _write(file_driver, "v1", OLD)
    file_driver.create_snapshot("s1", volume_id="v1")
    assert os.path.getsize(tmp_path / "share" / "snapshot-s1") < 16 * 1024 * 1024


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
    assert used.extra["storage_protocol"] == "nfs"

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
    assert os.stat(driver.volume_path("v1") or "").st_blocks * 512 >= GiB
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
    real_run = runner.run

    def crash_after_convert(argv: list[str], **kwargs: object) -> object:
        result = real_run(argv, **kwargs)  # type: ignore[arg-type]
        if "convert" in argv:
            raise DriverError("simulated crash after the copy")
        return result

    monkeypatch.setattr(runner, "run", crash_after_convert)
    with pytest.raises(DriverError, match="simulated"):
        file_driver.clone_volume("v3", 1, source_volume_id="v1")

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


def test_setup_fails_without_qemu_img(conf: cfg.ConfigOpts, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(BackendUnavailable, match="qemu-img"):
        FileDriver(conf, "file-1").setup()


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
