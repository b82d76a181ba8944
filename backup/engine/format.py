"""ember's backup format (version 1): the metadata document and the chunk objects; parsed and checked here.

A backup of a volume of ``volume_size`` bytes is cut into fixed-size **chunks** (``chunk_size``, default
4 MiB; the last one may be short), and each chunk into fixed-size **blocks** (``block_size``, default 64 KiB,
a divisor of ``chunk_size``).

Per block: its sha256 digest, unless the block is all zero. Zero blocks are *recorded* in the chunk's
zero-block bitmap and neither stored nor hashed (their digest is the constant ``sha256(bytes(block))``).

Per chunk: ``sha256`` = sha256 of the concatenated 32-byte digests of all its blocks in order (zero blocks
contribute the constant digest). One pass over the data yields both levels, and a chunk hash covers every
block digest. A chunk whose blocks are all zero is recorded with ``"zero": true`` and has no object.

A **chunk object** (one per stored chunk) is::

    b"EMBC" | u8 version (1) | u32 big-endian n | n × 32-byte digests of the non-zero blocks | payload

where ``payload`` is the chunk's non-zero blocks, concatenated, then compressed with the chunk's
``compression`` (``zstd``, ``zlib`` or ``none``; a chunk that does not compress is stored as ``none``
whatever the backup's setting). Object name: ``<backup_id>/chunk-<index, 8 digits>``.

The **metadata document** ``<backup_id>/metadata.json`` is written last, once every chunk object is
stored, so a backup without one never completed and restore refuses it::

    {"format": "ember-backup", "version": 1, "backup_id": "...", "parent_id": null | "...",
     "created_at": "2026-12-04T13:00:00Z", "volume_size": 1073741824, "chunk_size": 4194304,
     "block_size": 65536, "compression": "zstd",
     "stored_bytes": 123, "new_chunks": 12,
     "chunks": [{"index": 0, "offset": 0, "length": 4194304, "sha256": "<hex>",
                 "zero_blocks": "<hex bitmap, bit i (lsb first) set = block i is zero>",
                 "object": "<backup_id>/chunk-00000000", "compression": "zstd",
                 "stored_length": 12345},
                {"index": 1, "offset": 4194304, "length": 4194304, "zero": true}, ...]}

An **incremental** backup (``parent_id`` set) lists every chunk of the volume; a chunk unchanged since
the parent (same chunk hash) keeps the parent's record, object name included, so a restore needs only
this one document, and the parent (and its own parents) cannot be deleted while it exists.
"""

from __future__ import annotations

import hashlib
import json
import struct
from dataclasses import asdict, dataclass
from typing import Any

from backup.engine.errors import BackupCorrupt, BackupIncomplete, BackupInvalid

FORMAT_NAME = "ember-backup"
FORMAT_VERSION = 1
DEFAULT_CHUNK_SIZE = 4 * 1024 * 1024
DEFAULT_BLOCK_SIZE = 64 * 1024
COMPRESSIONS = ("zstd", "zlib", "none")
DIGEST_SIZE = 32

_OBJECT_MAGIC = b"EMBC"
_OBJECT_HEAD = struct.Struct(">4sBI")


def metadata_name(backup_id: str) -> str:
    return f"{backup_id}/metadata.json"


def chunk_object_name(backup_id: str, index: int) -> str:
    return f"{backup_id}/chunk-{index:08d}"


def zero_digest(block_size: int) -> bytes:
    return hashlib.sha256(bytes(block_size)).digest()


@dataclass(frozen=True)
class ChunkRecord:
    index: int
    offset: int
    length: int
    zero: bool = False
    sha256: str = ""
    zero_blocks: str = ""  # hex bitmap, bit i (lsb first) set = block i of the chunk is all zero
    object: str = ""
    compression: str = "none"
    stored_length: int = 0

    def to_json(self) -> dict[str, Any]:
        if self.zero:
            return {"index": self.index, "offset": self.offset, "length": self.length, "zero": True}
        return {k: v for k, v in asdict(self).items() if k != "zero"}


@dataclass(frozen=True)
class BackupMetadata:
    backup_id: str
    parent_id: str | None
    created_at: str
    volume_size: int
    chunk_size: int
    block_size: int
    compression: str
    chunks: tuple[ChunkRecord, ...]
    stored_bytes: int = 0
    new_chunks: int = 0

    def to_bytes(self) -> bytes:
        doc = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "backup_id": self.backup_id,
               "parent_id": self.parent_id, "created_at": self.created_at, "volume_size": self.volume_size,
               "chunk_size": self.chunk_size, "block_size": self.block_size, "compression": self.compression,
               "stored_bytes": self.stored_bytes, "new_chunks": self.new_chunks,
               "chunks": [c.to_json() for c in self.chunks]}
        return json.dumps(doc, separators=(",", ":")).encode()

    def objects(self) -> set[str]:
        return {c.object for c in self.chunks if not c.zero}

    def own_objects(self) -> set[str]:
        """The objects this backup stored itself (not those it references from its parents)."""
        return {o for o in self.objects() if o.startswith(f"{self.backup_id}/")}


def _field(doc: dict[str, Any], key: str, kind: type, backup_id: str) -> Any:
    value = doc.get(key)
    if not isinstance(value, kind) or isinstance(value, bool) and kind is int:
        raise BackupInvalid(backup_id, f"field {key!r} is missing or not a {kind.__name__}")
    return value


def parse_metadata(raw: bytes, backup_id: str) -> BackupMetadata:
    """The metadata document ``raw``; a truncated or foreign document raises, naming what is wrong."""
    try:
        doc = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BackupIncomplete(backup_id, f"metadata document is truncated or unreadable ({exc})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT_NAME:
        raise BackupInvalid(backup_id, "not an ember-backup metadata document")
    if doc.get("version") != FORMAT_VERSION:
        raise BackupInvalid(backup_id, f"format version {doc.get('version')!r}; this engine reads {FORMAT_VERSION}")
    if doc.get("backup_id") != backup_id:
        raise BackupInvalid(backup_id, f"document belongs to backup {doc.get('backup_id')!r}")
    size = _field(doc, "volume_size", int, backup_id)
    chunk_size = _field(doc, "chunk_size", int, backup_id)
    block_size = _field(doc, "block_size", int, backup_id)
    if block_size <= 0 or chunk_size <= 0 or chunk_size % block_size or size < 0:
        raise BackupInvalid(backup_id, "chunk_size must be a positive multiple of block_size")
    chunks = tuple(_parse_chunk(c, backup_id) for c in _field(doc, "chunks", list, backup_id))
    expected = (size + chunk_size - 1) // chunk_size
    if len(chunks) != expected:
        raise BackupIncomplete(backup_id, f"metadata lists {len(chunks)} chunks, the volume needs {expected}")
    for i, chunk in enumerate(chunks):
        if chunk.index != i or chunk.offset != i * chunk_size or chunk.length != min(chunk_size, size - chunk.offset):
            raise BackupInvalid(backup_id, f"chunk {i} has offset/length that do not tile the volume")
        if not chunk.zero and chunk.compression not in COMPRESSIONS:
            raise BackupInvalid(backup_id, f"chunk {i} uses unknown compression {chunk.compression!r}")
    parent = doc.get("parent_id")
    return BackupMetadata(backup_id=backup_id, parent_id=parent if isinstance(parent, str) else None,
                          created_at=str(doc.get("created_at", "")), volume_size=size, chunk_size=chunk_size,
                          block_size=block_size, compression=str(doc.get("compression", "")), chunks=chunks,
                          stored_bytes=int(doc.get("stored_bytes", 0)), new_chunks=int(doc.get("new_chunks", 0)))


def _parse_chunk(raw: Any, backup_id: str) -> ChunkRecord:
    if not isinstance(raw, dict):
        raise BackupInvalid(backup_id, "a chunk entry is not an object")
    try:
        if raw.get("zero"):
            return ChunkRecord(index=int(raw["index"]), offset=int(raw["offset"]), length=int(raw["length"]),
                               zero=True)
        return ChunkRecord(index=int(raw["index"]), offset=int(raw["offset"]), length=int(raw["length"]),
                           sha256=str(raw["sha256"]), zero_blocks=str(raw["zero_blocks"]),
                           object=str(raw["object"]), compression=str(raw["compression"]),
                           stored_length=int(raw["stored_length"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise BackupInvalid(backup_id, f"chunk entry {raw.get('index')!r} lacks {exc}") from None


def bitmap_to_hex(zero_flags: list[bool]) -> str:
    value = sum(1 << i for i, zero in enumerate(zero_flags) if zero)
    return value.to_bytes((len(zero_flags) + 7) // 8, "little").hex()


def bitmap_from_hex(text: str, nblocks: int) -> list[bool]:
    value = int.from_bytes(bytes.fromhex(text), "little") if text else 0
    return [bool(value >> i & 1) for i in range(nblocks)]


def object_header(digests: list[bytes]) -> bytes:
    """What precedes a chunk object's payload: magic, version, block digest count, the digests."""
    return b"".join((_OBJECT_HEAD.pack(_OBJECT_MAGIC, FORMAT_VERSION, len(digests)), *digests))


def unpack_object(data: bytes, backup_id: str, chunk: ChunkRecord) -> tuple[list[bytes], memoryview]:
    """(block digests, compressed payload) of a chunk object; a damaged header raises."""
    view = memoryview(data)
    if len(data) < _OBJECT_HEAD.size:
        raise BackupIncomplete(backup_id, f"chunk object {chunk.object} is truncated ({len(data)} bytes)")
    magic, version, count = _OBJECT_HEAD.unpack_from(data)
    if magic != _OBJECT_MAGIC or version != FORMAT_VERSION:
        raise BackupCorrupt(backup_id, obj=chunk.object, offset=chunk.offset, detail="bad object header")
    end = _OBJECT_HEAD.size + count * DIGEST_SIZE
    if end > len(data):
        raise BackupIncomplete(backup_id, f"chunk object {chunk.object} is truncated (header)")
    digests = [bytes(view[i:i + DIGEST_SIZE]) for i in range(_OBJECT_HEAD.size, end, DIGEST_SIZE)]
    return digests, view[end:]
