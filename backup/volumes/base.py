"""What the engine needs of a volume: positioned reads into a buffer, positioned writes, a size."""

from __future__ import annotations

from typing import Protocol


class VolumeReader(Protocol):
    size: int

    def read_into(self, offset: int, buf: memoryview) -> int:
        """Fill ``buf`` from ``offset``; returns the bytes read (fewer only at the end of the volume)."""
        ...

    def close(self) -> None: ...


class VolumeWriter(Protocol):
    size: int
    zeroed: bool  # every byte already reads as zero (a new volume): zero ranges need no write

    def write(self, offset: int, data: bytes | bytearray | memoryview) -> None:
        """Safe to call from several threads at once, at distinct offsets."""
        ...

    def write_zeroes(self, offset: int, length: int) -> None: ...

    def flush(self) -> None: ...

    def close(self) -> None: ...
