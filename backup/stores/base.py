"""The one interface every backup store offers the engine; objects are whole or absent, never partial."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

Buffer = bytes | bytearray | memoryview


class BackupStore(Protocol):
    """Named immutable objects. Implementations are safe to call from several threads at once.

    ``put`` stores the concatenation of ``parts`` (buffers the caller reuses once it returns) and makes an object visible only once all its bytes are stored (a crash mid-put leaves no
    object, or an older complete one); ``get`` raises ``ObjectMissing`` for an absent object and
    ``StoreError`` for any other failure; ``delete`` of an absent object is not an error.
    """

    def put(self, name: str, parts: Sequence[Buffer]) -> None: ...

    def get(self, name: str) -> bytes: ...

    def delete(self, name: str) -> None: ...

    def list(self, prefix: str) -> list[str]: ...

    def commit(self) -> None:
        """Make every object put so far durable; the engine calls it before the metadata document."""
        ...

    def describe(self) -> str:
        """Where the store is, for messages (no credentials)."""
        ...


def as_parts(parts: Sequence[Buffer] | Buffer) -> Sequence[Buffer]:
    """``parts`` as a sequence: one buffer passed alone would otherwise be iterated byte by byte."""
    return [parts] if isinstance(parts, bytes | bytearray | memoryview) else parts
