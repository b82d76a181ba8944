"""Raw image files without qemu-img: sparse copies by each method, allocation, and growth."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from drivers import rawfiles
from drivers.rawfiles import CopyMethod

MiB = 1024 ** 2
SIZE = 256 * MiB


def _sample(path: Path) -> None:
    """256 MiB holding 1 MiB of data at 0, 1 MiB of zeros written at 64 MiB, 1 MiB of data near the end."""
    with open(path, "wb") as f:
        f.truncate(SIZE)
        f.write(b"\x11" * MiB)
        f.seek(64 * MiB)
        f.write(bytes(MiB))
        f.seek(SIZE - MiB - 4096)
        f.write(b"\x22" * MiB)


def _allocated(path: Path) -> int:
    return path.stat().st_blocks * 512


def test_data_ranges_skip_the_holes(tmp_path: Path) -> None:
    _sample(tmp_path / "src")
    fd = os.open(tmp_path / "src", os.O_RDONLY)
    try:
        ranges = list(rawfiles.data_ranges(fd, SIZE))
    finally:
        os.close(fd)
    assert sum(end - start for start, end in ranges) <= 4 * MiB
    assert ranges[0][0] == 0 and ranges[-1][1] >= SIZE - 4096
    assert all(0 <= start < end <= SIZE for start, end in ranges)


def test_copy_in_the_kernel_keeps_holes_and_bytes(tmp_path: Path) -> None:
    _sample(tmp_path / "src")
    size, method = rawfiles.copy(str(tmp_path / "src"), str(tmp_path / "dst"), sparse=True)
    assert size == SIZE and method in (CopyMethod.REFLINK, CopyMethod.COPY_FILE_RANGE)
    assert (tmp_path / "dst").read_bytes() == (tmp_path / "src").read_bytes()
    assert _allocated(tmp_path / "dst") <= _allocated(tmp_path / "src")
    assert (tmp_path / "dst").stat().st_mode & 0o777 == 0o660


def test_copy_falls_back_to_reads_and_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the kernel cannot copy between the two files (another filesystem, an old kernel)."""
    def cross_device(*args: object) -> int:
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(os, "copy_file_range", cross_device)
    _sample(tmp_path / "src")
    size, method = rawfiles.copy(str(tmp_path / "src"), str(tmp_path / "dst"), sparse=True)
    assert size == SIZE and method in (CopyMethod.REFLINK, CopyMethod.READ_WRITE)
    assert (tmp_path / "dst").read_bytes() == (tmp_path / "src").read_bytes()
    if method is CopyMethod.READ_WRITE:  # the zeros written at 64 MiB became a hole
        assert _allocated(tmp_path / "dst") <= 2 * MiB + 64 * 1024


def test_thick_copy_allocates_every_byte(tmp_path: Path) -> None:
    _sample(tmp_path / "src")
    rawfiles.copy(str(tmp_path / "src"), str(tmp_path / "dst"), sparse=False)
    assert _allocated(tmp_path / "dst") >= SIZE
    assert (tmp_path / "dst").read_bytes() == (tmp_path / "src").read_bytes()


def test_create_and_grow(tmp_path: Path) -> None:
    rawfiles.create(str(tmp_path / "thin"), SIZE, sparse=True)
    rawfiles.create(str(tmp_path / "thick"), SIZE, sparse=False)
    assert _allocated(tmp_path / "thin") < MiB and _allocated(tmp_path / "thick") >= SIZE
    with open(tmp_path / "thick", "r+b") as f:
        f.write(b"\x33" * 4096)
    rawfiles.grow(str(tmp_path / "thick"), 2 * SIZE, sparse=False)
    rawfiles.grow(str(tmp_path / "thick"), SIZE, sparse=False)  # never shrinks
    assert (tmp_path / "thick").stat().st_size == 2 * SIZE and _allocated(tmp_path / "thick") >= 2 * SIZE
    with open(tmp_path / "thick", "rb") as f:
        assert f.read(4096) == b"\x33" * 4096
    with pytest.raises(FileExistsError):
        rawfiles.create(str(tmp_path / "thin"), SIZE, sparse=True)
    with pytest.raises(FileNotFoundError):
        rawfiles.grow(str(tmp_path / "missing"), SIZE, sparse=True)
