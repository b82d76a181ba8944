"""Chunk compression: zstd (default), zlib or none, with incompressible chunks stored as they are.

Both libraries release the GIL while they work, so the engine's worker threads compress in parallel.
A compressor object is not thread-safe: each thread keeps its own.
"""

from __future__ import annotations

import threading
import zlib

import zstandard

from backup.engine.errors import BackupCorrupt

DEFAULT_LEVELS = {"zstd": 1, "zlib": 1}
# a chunk whose first SAMPLE bytes shrink by less than this is stored uncompressed (random/encrypted data)
SAMPLE = 64 * 1024
MIN_SAVING = 0.05

_local = threading.local()


def _zstd(level: int) -> zstandard.ZstdCompressor:
    cache: dict[int, zstandard.ZstdCompressor] = _local.__dict__.setdefault("zstd", {})
    if level not in cache:
        cache[level] = zstandard.ZstdCompressor(level=level)
    return cache[level]


def _zstd_decompressor() -> zstandard.ZstdDecompressor:
    if not hasattr(_local, "unzstd"):
        _local.unzstd = zstandard.ZstdDecompressor()
    return _local.unzstd  # type: ignore[no-any-return]


def _compress(data: bytes | bytearray | memoryview, compression: str, level: int) -> bytes:
    if compression == "zstd":
        return _zstd(level).compress(data)
    if compression == "zlib":
        return zlib.compress(data, level)
    return bytes(data)


Buffer = bytes | bytearray | memoryview


def compress(parts: list[Buffer], compression: str, level: int | None = None) -> tuple[str, list[Buffer]]:
    """(compression actually used, stored parts). With ``none``, or when a sample of the first part
    shows the data does not compress, the parts come back as they are: no copy."""
    total = sum(len(p) for p in parts)
    if compression == "none" or not total:
        return "none", parts
    lvl = DEFAULT_LEVELS[compression] if level is None else level
    if total > SAMPLE * 2 and len(parts[0]) >= SAMPLE // 4:
        sample = memoryview(parts[0])[:SAMPLE]
        if len(_compress(sample, compression, lvl)) > len(sample) * (1 - MIN_SAVING):
            return "none", parts
    packed = _compress(parts[0] if len(parts) == 1 else b"".join(parts), compression, lvl)
    if len(packed) >= total:
        return "none", parts
    return compression, [packed]


def decompress(data: bytes | memoryview, compression: str, *, expected: int, backup_id: str, obj: str,
               offset: int) -> bytes:
    """The original bytes; anything that does not decompress to exactly ``expected`` bytes is corrupt."""
    try:
        if compression == "zstd":
            out = _zstd_decompressor().decompress(data, max_output_size=expected)
        elif compression == "zlib":
            d = zlib.decompressobj()
            out = d.decompress(data, expected)
            if d.unconsumed_tail or not d.eof:
                raise BackupCorrupt(backup_id, obj=obj, offset=offset, detail="zlib stream longer or shorter "
                                    "than recorded")
        else:
            out = bytes(data)
    except (zstandard.ZstdError, zlib.error) as exc:
        raise BackupCorrupt(backup_id, obj=obj, offset=offset, detail=f"{compression} payload does not "
                            f"decompress: {exc}") from None
    if len(out) != expected:
        raise BackupCorrupt(backup_id, obj=obj, offset=offset,
                            detail=f"payload holds {len(out)} bytes after decompression, {expected} recorded")
    return out
