"""The one interface every backup store offers the engine; objects are whole or absent, never partial."""

from __future__ import annotations

from typing import Protocol


class BackupStore(Protocol):
    """Named immutable objects. Implementations are safe to call from several threads at once.

    ``put`` makes an object visible only once all its bytes are stored (a crash mid-put leaves no
    object, or an older complete one); ``get`` raises ``ObjectMissing`` for an absent object and
    ``StoreError`` for any other failure; ``delete`` of an absent object is not an error.
    """

    def put(self, name: str, data: bytes) -> None: ...

    def get(self, name: str) -> bytes: ...

    def delete(self, name: str) -> None: ...

    def list(self, prefix: str) -> list[str]: ...

    def commit(self) -> None:
        """Make every object put so far durable; the engine calls it before the metadata document."""
        ...

    def describe(self) -> str:
        """Where the store is, for messages (no credentials)."""
        ...
