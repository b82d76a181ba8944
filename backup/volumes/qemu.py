"""Volumes only qemu can open (qcow2 and its backing chain, nfs:// URLs), served by a private qemu-nbd.

qemu-nbd presents what the guest sees (a qcow2 chain flattened, an nfs:// file through libnfs) as one
raw NBD export on a unix socket; ``nbd.NbdClient`` reads and writes it. The format is always given by
the caller (the volume driver knows it): probing a guest-writable raw volume for a format is unsafe.
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from backup.engine.errors import VolumeIOError
from backup.volumes.nbd import NbdClient


class QemuNbdVolume:
    """A reader and writer over ``qemu-nbd``; ``zeroed`` says a new, empty image is the target."""

    def __init__(self, image: str, *, fmt: str, read_only: bool, zeroed: bool = False,
                 start_timeout_s: float = 30.0) -> None:
        self.image = image
        self.zeroed = zeroed
        self._dir = tempfile.mkdtemp(prefix="ember-nbd-")
        sock = os.path.join(self._dir, "nbd.sock")
        argv = ["qemu-nbd", f"--socket={sock}", f"--format={fmt}", "--persistent", "--shared=1",
                "--cache=writeback", image]
        if read_only:
            argv.insert(1, "--read-only")
        self._proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.PIPE, start_new_session=True)
        self._client = self._connect(sock, start_timeout_s)
        self.size = self._client.size

    def _connect(self, sock: str, timeout_s: float) -> NbdClient:
        deadline = time.monotonic() + timeout_s
        while True:
            if self._proc.poll() is not None:
                err = self._proc.stderr.read().decode(errors="replace") if self._proc.stderr else ""
                self._cleanup()
                raise VolumeIOError(f"qemu-nbd could not open {self.image}: {err.strip()}")
            if os.path.exists(sock):
                try:
                    return NbdClient(sock)
                except VolumeIOError:
                    pass
            if time.monotonic() > deadline:
                self.close()
                raise VolumeIOError(f"qemu-nbd for {self.image} did not answer in {timeout_s:.0f}s")
            time.sleep(0.02)

    def read_into(self, offset: int, buf: memoryview) -> int:
        return self._client.read_into(offset, buf)

    def write(self, offset: int, data: bytes | bytearray | memoryview) -> None:
        self._client.write(offset, data)

    def write_zeroes(self, offset: int, length: int) -> None:
        if not self.zeroed:
            self._client.write_zeroes(offset, length)

    def flush(self) -> None:
        self._client.flush()

    def close(self) -> None:
        if hasattr(self, "_client"):
            self._client.close()
        if self._proc.poll() is None:
            os.killpg(self._proc.pid, signal.SIGTERM)
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self._proc.pid, signal.SIGKILL)
                self._proc.wait()
        self._cleanup()

    def _cleanup(self) -> None:
        if self._proc.stderr:
            self._proc.stderr.close()
        for leftover in Path(self._dir).glob("*"):
            leftover.unlink(missing_ok=True)
        Path(self._dir).rmdir()
