"""A minimal NBD client (fixed newstyle handshake, simple replies) for qemu-nbd on a unix socket.

Only what the engine needs: READ, WRITE, WRITE_ZEROES, FLUSH, DISC. Requests are serialised by a
lock, so several engine threads may share one connection.
"""

from __future__ import annotations

import socket
import struct
import threading

from backup.engine.errors import VolumeIOError

_NBDMAGIC = b"NBDMAGIC"
_IHAVEOPT = 0x49484156454F5054
_FLAG_FIXED_NEWSTYLE = 1
_FLAG_NO_ZEROES = 2
_OPT_EXPORT_NAME = 1
_REQUEST_MAGIC = 0x25609513
_REPLY_MAGIC = 0x67446698
_CMD_READ, _CMD_WRITE, _CMD_DISC, _CMD_FLUSH, _CMD_WRITE_ZEROES = 0, 1, 2, 3, 6
_TFLAG_READ_ONLY, _TFLAG_SEND_FLUSH, _TFLAG_SEND_WRITE_ZEROES = 1 << 1, 1 << 2, 1 << 6
_REQUEST = struct.Struct(">IHHQQI")
_REPLY = struct.Struct(">IIQ")
MAX_REQUEST = 32 * 1024 * 1024  # qemu-nbd's limit per request


class NbdClient:
    def __init__(self, socket_path: str, export: str = "", timeout_s: float = 120.0) -> None:
        self.socket_path = socket_path
        self._lock = threading.Lock()
        self._handle = 0
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.settimeout(timeout_s)
        try:
            self._sock.connect(socket_path)
            self.size, self.flags = self._handshake(export)
        except (OSError, VolumeIOError) as exc:
            self._sock.close()
            raise VolumeIOError(f"nbd {socket_path}: handshake failed: {exc}") from exc

    def _recv_exact(self, n: int) -> bytes:
        buf = bytearray(n)
        self._recv_into(memoryview(buf))
        return bytes(buf)

    def _recv_into(self, view: memoryview) -> None:
        while view:
            got = self._sock.recv_into(view)
            if got == 0:
                raise VolumeIOError(f"nbd {self.socket_path}: server closed the connection")
            view = view[got:]

    def _handshake(self, export: str) -> tuple[int, int]:
        head = self._recv_exact(18)
        if head[:8] != _NBDMAGIC or struct.unpack(">Q", head[8:16])[0] != _IHAVEOPT:
            raise VolumeIOError("not a fixed-newstyle NBD server")
        server_flags = struct.unpack(">H", head[16:18])[0]
        client_flags = _FLAG_FIXED_NEWSTYLE | (_FLAG_NO_ZEROES if server_flags & _FLAG_NO_ZEROES else 0)
        name = export.encode()
        self._sock.sendall(struct.pack(">IQII", client_flags, _IHAVEOPT, _OPT_EXPORT_NAME, len(name)) + name)
        size, flags = struct.unpack(">QH", self._recv_exact(10))
        if not client_flags & _FLAG_NO_ZEROES:
            self._recv_exact(124)
        return size, flags

    def _request(self, cmd: int, offset: int, length: int, payload: memoryview | None = None,
                 into: memoryview | None = None) -> None:
        with self._lock:
            self._handle += 1
            self._sock.sendall(_REQUEST.pack(_REQUEST_MAGIC, 0, cmd, self._handle, offset, length))
            if payload is not None:
                self._sock.sendall(payload)
            magic, error, handle = _REPLY.unpack(self._recv_exact(_REPLY.size))
            if magic != _REPLY_MAGIC or handle != self._handle:
                raise VolumeIOError(f"nbd {self.socket_path}: reply out of step")
            if error:
                raise VolumeIOError(f"nbd {self.socket_path}: command {cmd} at {offset} failed with errno {error}")
            if into is not None:
                self._recv_into(into)

    def read_into(self, offset: int, buf: memoryview) -> int:
        want = min(len(buf), self.size - offset)
        for start in range(0, want, MAX_REQUEST):
            length = min(MAX_REQUEST, want - start)
            self._request(_CMD_READ, offset + start, length, into=buf[start:start + length])
        return want

    def write(self, offset: int, data: bytes | bytearray | memoryview) -> None:
        view = memoryview(data)
        for start in range(0, len(view), MAX_REQUEST):
            part = view[start:start + MAX_REQUEST]
            self._request(_CMD_WRITE, offset + start, len(part), payload=part)

    def write_zeroes(self, offset: int, length: int) -> None:
        if self.flags & _TFLAG_SEND_WRITE_ZEROES:
            for start in range(0, length, MAX_REQUEST):
                self._request(_CMD_WRITE_ZEROES, offset + start, min(MAX_REQUEST, length - start))
            return
        zeros = bytes(min(length, 1024 * 1024))
        for start in range(0, length, len(zeros)):
            self.write(offset + start, memoryview(zeros)[:min(len(zeros), length - start)])

    def flush(self) -> None:
        if self.flags & _TFLAG_SEND_FLUSH:
            self._request(_CMD_FLUSH, 0, 0)

    def close(self) -> None:
        try:
            with self._lock:
                self._sock.sendall(_REQUEST.pack(_REQUEST_MAGIC, 0, _CMD_DISC, 0, 0, 0))
        except OSError:
            pass
        self._sock.close()
