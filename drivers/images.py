"""Disk image files as the file drivers see them: format, size and backing file, and qemu-img calls.

A qcow2 file's header says its virtual size, its backing file and that file's format, so
reading it is enough and no qemu-img process is needed for a capacity report or to check a
chain; a raw image's size is the file's. The format always comes from the caller's records,
never from the file's first bytes.

qemu-img runs under resource limits (``prlimit``) where its work does not grow with the
volume: creating a file without preallocation, which opens the backing file's header. A
crafted header then costs at most those limits (Cinder's limits for image inspection). Copies,
rebases, resizes and preallocating creates run unlimited: their time and buffers grow with the
data, and the chain they read is checked first (:func:`inspect`, drivers/nfs_chain.py).
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from typing import BinaryIO

from drivers import runner
from drivers.errors import DriverError
from drivers.fileops import translated

QCOW2_MAGIC = b"QFI\xfb"
_HEADER = struct.Struct(">4sIQIIQ")  # magic, version, backing_file_offset, backing_file_size, cluster_bits, size
_V3_HEADER = struct.Struct(">QQQII")  # incompatible, compatible, autoclear features, refcount_order, header_length
_V2_HEADER_LENGTH = 72
_EXTENSION = struct.Struct(">II")  # type, length
_BACKING_FORMAT_EXTENSION = 0xE2792ACA
_EXTERNAL_DATA_FILE = 1 << 2  # incompatible feature: the guest data lives in another file the header names
_MAX_BACKING_NAME = 1023
_MAX_EXTENSIONS_BYTES = 65536

GiB = 1024 ** 3


@dataclass(frozen=True)
class ImageInfo:
    format: str  # "raw" | "qcow2"
    virtual_size: int  # bytes
    backing_file: str | None = None
    backing_format: str | None = None  # as the header names it; None: qemu would probe it


def inspect(path: str, fmt: str) -> ImageInfo:
    """The image at ``path``, whose format the caller knows (never guessed from the bytes: a raw
    volume's user may have written a qcow2 header into it).

    A qcow2 image whose data lives in an external file is refused: the driver never makes one,
    and qemu would read whatever file its header names.
    """
    with translated(f"cannot read {path}"), open(path, "rb") as image:
        if fmt == "raw":
            return ImageInfo("raw", os.fstat(image.fileno()).st_size)
        header = image.read(_V2_HEADER_LENGTH + _V3_HEADER.size)
        if len(header) < _V2_HEADER_LENGTH or not header.startswith(QCOW2_MAGIC):
            raise DriverError(f"{path} is not a qcow2 image")
        _, version, backing_offset, backing_size, cluster_bits, size = _HEADER.unpack_from(header)
        header_length = _V2_HEADER_LENGTH
        if version >= 3:
            if len(header) < _V2_HEADER_LENGTH + _V3_HEADER.size:
                raise DriverError(f"{path} is not a qcow2 image")
            incompatible, _, _, _, header_length = _V3_HEADER.unpack_from(header, _V2_HEADER_LENGTH)
            if incompatible & _EXTERNAL_DATA_FILE:
                raise DriverError(f"{path} keeps its data in an external file, which ember never makes")
        backing = None
        if backing_offset and 0 < backing_size <= _MAX_BACKING_NAME:
            image.seek(backing_offset)
            backing = image.read(backing_size).decode("utf-8", "replace")
        # the extensions end where the backing file's name begins, within the first cluster
        end = min(backing_offset or 1 << min(cluster_bits, 21), header_length + _MAX_EXTENSIONS_BYTES)
        backing_format = _backing_format(image, header_length, end)
        return ImageInfo("qcow2", size, backing, backing_format)


def _backing_format(image: BinaryIO, start: int, end: int) -> str | None:
    """The backing format header extension, read from the extensions between ``start`` and ``end``."""
    offset = start
    while offset + _EXTENSION.size <= end:
        image.seek(offset)
        raw = image.read(_EXTENSION.size)
        if len(raw) < _EXTENSION.size:
            return None
        kind, length = _EXTENSION.unpack(raw)
        if kind == 0:
            return None
        if kind == _BACKING_FORMAT_EXTENSION:
            return image.read(min(length, 16)).decode("ascii", "replace")
        offset += _EXTENSION.size + (length + 7) // 8 * 8
    return None


@dataclass(frozen=True)
class Limits:
    """What one qemu-img process may use; applied with util-linux's prlimit."""

    cpu_s: int = 60  # Cinder's image_conversion_cpu_limit
    address_space_bytes: int = 1 * GiB  # Cinder's image_conversion_address_space_limit

    def prefix(self, prlimit: str) -> list[str]:
        # One malloc arena: each thread's own would reserve 64 MiB of address space, and whether a
        # command fits the limit would then depend on how many threads it happened to start. The
        # hard CPU limit a second later: the soft one's SIGXCPU says why it stopped, a SIGKILL
        # would look like an operator's kill -9.
        return ["env", "MALLOC_ARENA_MAX=1", prlimit, f"--cpu={self.cpu_s}:{self.cpu_s + 1}",
                f"--as={self.address_space_bytes}"]


class QemuImg:
    """qemu-img through one runner; the commands whose work does not grow with the volume under ``limits``."""

    def __init__(self, run: runner.Runner, *, limits: Limits | None = None) -> None:
        self._runner = run
        self._tool = "qemu-img"
        self._prlimit = "prlimit"
        self.limits = limits or Limits()

    def setup(self) -> None:
        self._tool = runner.which("qemu-img")
        self._prlimit = runner.which("prlimit")

    def __call__(self, *args: str, timeout_s: float | None = runner.DEFAULT_TIMEOUT_S, limited: bool = False) -> None:
        prefix = self.limits.prefix(self._prlimit) if limited else []
        self._runner.run([*prefix, self._tool, *args], timeout_s=timeout_s)

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
        # a header (and the backing file's) unless it preallocates, which grows with the size
        self(*args, limited=not any(option.startswith("preallocation=") for option in options))

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
