"""Volumes the engine reads and writes for real: an LVM LV through its loop device, a qcow2 chain
flattened by qemu-nbd, and a file reached over nfs:// (nfs-ganesha) through qemu-nbd's libnfs."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from backup.engine.create import BackupSettings, create_backup
from backup.engine.restore import restore_backup
from backup.stores.posix import PosixStore
from backup.volumes.opener import open_reader, open_writer
from drivers.lvm_devices import LoopDevices
from drivers.lvm_volumes import Lvm
from drivers.runner import Runner
from tests.unit.backup.helpers import KiB, MiB, random_bytes

pytestmark = pytest.mark.integration
SETTINGS = BackupSettings(chunk_size=1 * MiB, block_size=64 * KiB)


def _backup(location: str, store: PosixStore, backup_id: str, fmt: str = "raw") -> None:
    reader = open_reader(location, fmt=fmt)
    try:
        create_backup(reader, store, backup_id=backup_id, settings=SETTINGS)
    finally:
        reader.close()


def _restore(store: PosixStore, backup_id: str, location: str, fmt: str = "raw", zeroed: bool = False) -> None:
    writer = open_writer(location, fmt=fmt, zeroed=zeroed)
    try:
        restore_backup(store, backup_id, writer)
    finally:
        writer.close()


def _qemu_io(image: str, fmt: str, *commands: str) -> None:
    argv = ["qemu-io", "-f", fmt]
    for command in commands:
        argv += ["-c", command]
    subprocess.run([*argv, image], check=True, capture_output=True, timeout=60)


def _same(a: str, fmt_a: str, b: str, fmt_b: str) -> bool:
    return subprocess.run(["qemu-img", "compare", "-f", fmt_a, "-F", fmt_b, a, b], check=False, capture_output=True,
                          timeout=120).returncode == 0


def test_lvm_volume_through_its_loop_device(volume_group: tuple[str, str], tmp_path: Path) -> None:
    vg, pv = volume_group
    lvm = Lvm(Runner(), vg, [pv], activation=False)
    lvm("lvcreate", "-n", "backup-it", "-L", "32m", "-Wn", "-an", "-Zn", "--contiguous", "y", vg)
    lv = lvm.get("backup-it")
    assert lv is not None
    store = PosixStore(tmp_path / "store")
    with LoopDevices(Runner(), lvm).open(lv) as device:
        data = random_bytes(8 * MiB) + bytes(16 * MiB) + b"lvm " * (2 * MiB)
        with open(device, "r+b") as dev:
            dev.write(data)
            dev.flush()
        subprocess.run(["blockdev", "--flushbufs", device], check=False)
        _backup(device, store, "lv")
        with open(device, "r+b") as dev:
            dev.write(random_bytes(32 * MiB))
        _restore(store, "lv", device)
        with open(device, "rb") as dev:
            assert dev.read(32 * MiB) == data


def test_qcow2_chain_is_flattened_and_restored_into_qcow2(tmp_path: Path) -> None:
    base, top, flat = tmp_path / "base.raw", tmp_path / "top.qcow2", tmp_path / "flat.raw"
    subprocess.run(["qemu-img", "create", "-f", "raw", str(base), "16M"], check=True, capture_output=True)
    _qemu_io(str(base), "raw", "write -P 0xab 0 3M", "write -P 0x11 10M 1M")
    subprocess.run(["qemu-img", "create", "-f", "qcow2", "-b", str(base), "-F", "raw", str(top)], check=True,
                   capture_output=True)
    _qemu_io(str(top), "qcow2", "write -P 0xcd 1M 1M", "write -z 10M 512k")
    store = PosixStore(tmp_path / "store")
    _backup(str(top), store, "chain", fmt="qcow2")

    subprocess.run(["qemu-img", "create", "-f", "raw", str(flat), "16M"], check=True, capture_output=True)
    _restore(store, "chain", str(flat), zeroed=True)
    assert _same(str(top), "qcow2", str(flat), "raw")
    copy = tmp_path / "copy.qcow2"
    subprocess.run(["qemu-img", "create", "-f", "qcow2", str(copy), "16M"], check=True, capture_output=True)
    _restore(store, "chain", str(copy), fmt="qcow2", zeroed=True)
    assert _same(str(top), "qcow2", str(copy), "qcow2")


def test_nfs_url_volume_round_trip(nfs_server: list[Path], tmp_path: Path) -> None:
    export = nfs_server[0]
    source = export / "vol-src"
    target = export / "vol-dst"
    source.write_bytes(random_bytes(4 * MiB) + bytes(4 * MiB) + b"nfs!" * MiB)
    with open(target, "wb") as f:
        f.write(bytes([0xEE]) * 12 * MiB)
    store = PosixStore(tmp_path / "store")
    _backup(f"nfs://127.0.0.1{source}", store, "nfs")
    _restore(store, "nfs", f"nfs://127.0.0.1{target}")
    assert target.read_bytes() == source.read_bytes()
