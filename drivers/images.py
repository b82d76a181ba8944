"""Disk image files as the file drivers see them: format, size and backing file, and qemu-img calls.

A qcow2 file's header says its virtual size and backing file name, so reading it is enough
and no qemu-img process is needed for a capacity report; a raw image's size is the file's.
The format always comes from the caller's records, never from the file's first bytes.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass

from drivers import runner
from drivers.errors import DriverError
from drivers.fileops import translated

QCOW2_MAGIC = b"QFI\xfb"
_HEADER = struct.Struct(">4sIQIIQ")  # magic, version, backing_file_offset, backing_file_size, cluster_bits, size
_MAX_BACKING_NAME = 1023


@dataclass(frozen=True)
class ImageInfo:
    format: str  # "raw" | "qcow2"
    virtual_size: int  # bytes
    backing_file: str | None = None


def inspect(path: str, fmt: str) -> ImageInfo:
    """The image at ``path``, whose format the caller knows (never guessed from the bytes: a raw
    volume's user may have written a qcow2 header into it)."""
    with translated(f"cannot read {path}"), open(path, "rb") as image:
        if fmt == "raw":
            return ImageInfo("raw", os.fstat(image.fileno()).st_size)
        header = image.read(_HEADER.size)
        if len(header) < _HEADER.size or not header.startswith(QCOW2_MAGIC):
            raise DriverError(f"{path} is not a qcow2 image")
        _, _, backing_offset, backing_size, _, size = _HEADER.unpack(header)
        backing = None
        if backing_offset and 0 < backing_size <= _MAX_BACKING_NAME:
            image.seek(backing_offset)
            backing = image.read(backing_size).decode("utf-8", "replace")
        return ImageInfo("qcow2", size, backing)


class QemuImg:
    """qemu-img through one runner."""

    def __init__(self, run: runner.Runner) -> None:
        self._runner = run
        self._tool = "qemu-img"

    def setup(self) -> None:
        self._tool = runner.which("qemu-img")

    def __call__(self, *args: str, timeout_s: float | None = runner.DEFAULT_TIMEOUT_S) -> None:
        self._runner.run([self._tool, *args], timeout_s=timeout_s)

    def create(self, path: str, fmt: str, size: int | None, *, backing: str | None = None,
               backing_format: str | None = None, options: tuple[str, ...] = ()) -> None:
        args = ["create", "-f", fmt]
        if backing is not None:
            args += ["-b", backing, "-F", backing_format or "raw"]
        for option in options:
            args += ["-o", option]
        args.append(path)
        if size is not None:
            args.append(str(size))
        self(*args)

    def convert(self, source: str, target: str, *, source_format: str, target_format: str,
                sparse: bool = True) -> None:
        self("convert", "-f", source_format, "-O", target_format, *([] if sparse else ["-S", "0"]), source, target,
             timeout_s=None)

    def resize(self, path: str, fmt: str, size: int, *, preallocate: bool = False) -> None:
        self("resize", "-f", fmt, *(["--preallocation=falloc"] if preallocate else []), path, str(size), timeout_s=None)

    def rebase(self, path: str, backing: str | None, backing_format: str | None) -> None:
        """Safe rebase: ``path`` keeps the data it shows, now over ``backing`` (None: no backing file)."""
        if backing is None:
            self("rebase", "-f", "qcow2", "-b", "", path, timeout_s=None)
        else:
            self("rebase", "-f", "qcow2", "-b", backing, "-F", backing_format or "raw", path, timeout_s=None)
