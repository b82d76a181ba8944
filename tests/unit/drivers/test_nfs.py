"""The nfs driver on local shares: what a crash leaves, what a guest may write, and whose files a chain may name."""

from __future__ import annotations

import json
import os
import struct
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from drivers import nfs_chain
from drivers.errors import DriverError
from drivers.nfs import NfsDriver
from tests import datapath
from tests.driver_contract import CONNECTOR

GiB = 1024 ** 3


def _share_of(driver: NfsDriver, volume_id: str) -> Path:
    path = driver.volume_path(volume_id)
    assert path is not None
    return Path(path).parent


def _fake_qcow2_header(backing: str) -> bytes:
    """A qcow2 header naming ``backing``, as a guest could write it at the start of its raw disk."""
    name = backing.encode()
    header = struct.pack(">4sIQIIQ", b"QFI\xfb", 3, 104, len(name), 16, GiB)
    return header.ljust(104, b"\0") + name


def test_a_guest_written_qcow2_header_is_only_data(nfs_driver: NfsDriver, tmp_path: Path) -> None:
    secret = tmp_path / "host-secret"
    secret.write_bytes(b"host only\n" * 100)
    nfs_driver.create_volume("guest", 1)
    path = nfs_driver.volume_path("guest")
    assert path is not None
    with open(path, "r+b") as disk:
        disk.write(_fake_qcow2_header(str(secret)))
    nfs_driver.clone_volume("copy", 1, source_volume_id="guest")
    nfs_driver.create_snapshot("s1", volume_id="guest")
    info = nfs_driver.initialize_connection("guest", nfs_driver.create_export("guest", CONNECTOR), CONNECTOR)
    copy = nfs_driver.volume_path("copy")
    assert copy is not None
    with open(copy, "rb") as cloned:
        assert cloned.read(8) == b"QFI\xfb\0\0\0\x03"  # the header bytes copied as bytes ...
    assert b"host only" not in Path(copy).read_bytes()[:4096]  # ... never followed to the host's file
    assert nfs_driver.volume_size("guest") == GiB and nfs_driver.volume_size("copy") == GiB
    backing = subprocess.run(["qemu-img", "info", "--output=json", "-f", "qcow2", info["data"]["name"]],
                             cwd=_share_of(nfs_driver, "guest"), capture_output=True, text=True, check=True)
    assert json.loads(backing.stdout)["backing-filename-format"] == "raw"
    for volume_id in ("guest", "copy"):
        nfs_driver.delete_volume(volume_id)


def test_a_chain_naming_another_volumes_file_is_refused(nfs_driver: NfsDriver) -> None:
    nfs_driver.create_volume("victim", 1)
    nfs_driver.create_volume("v1", 1)
    nfs_driver.create_snapshot("s1", volume_id="v1")
    share = _share_of(nfs_driver, "v1")
    overlay = share / "volume-v1.s1"
    subprocess.run(["qemu-img", "rebase", "-u", "-f", "qcow2", "-b", "volume-victim", "-F", "raw", str(overlay)],
                   check=True)  # what a tampered or corrupt overlay would say
    with pytest.raises(DriverError, match="not a file of this volume's chain"):
        nfs_driver.delete_snapshot("s1", volume_id="v1")
    assert (share / "volume-victim").exists()


def test_a_create_that_wrote_only_its_record_is_finished_by_the_replay(nfs_driver: NfsDriver) -> None:
    nfs_driver.create_volume("v1", 1)
    share = _share_of(nfs_driver, "v1")
    (share / "volume-v1").unlink()  # killed between the record and the file
    assert nfs_driver.volume_size("v1") is None
    nfs_driver.create_volume("v1", 1)
    assert nfs_driver.volume_size("v1") == GiB
    nfs_driver.delete_volume("v1")
    assert not any(share.iterdir())


def test_a_stray_overlay_of_an_unfinished_snapshot_is_removed(nfs_driver: NfsDriver) -> None:
    nfs_driver.create_volume("v1", 1)
    share = _share_of(nfs_driver, "v1")
    subprocess.run(["qemu-img", "create", "-f", "qcow2", "-b", "volume-v1", "-F", "raw", str(share / "volume-v1.s9")],
                   check=True, capture_output=True)  # written, but the record never named it
    nfs_driver.delete_snapshot("s9", volume_id="v1")
    assert sorted(p.name for p in share.iterdir()) == ["volume-v1", "volume-v1.info"]
    nfs_driver.delete_volume("v1")


def test_the_record_keeps_cinders_layout_and_the_formats(nfs_driver: NfsDriver) -> None:
    nfs_driver.create_volume("v1", 1)
    nfs_driver.create_snapshot("s1", volume_id="v1")
    record = json.loads((_share_of(nfs_driver, "v1") / "volume-v1.info").read_text())
    assert record == {"active": "volume-v1.s1", "s1": "volume-v1",
                      "formats": {"volume-v1": "raw", "volume-v1.s1": "qcow2"}}
    nfs_driver.delete_volume("v1")


def test_only_the_latest_snapshot_can_be_reverted_to(nfs_driver: NfsDriver) -> None:
    nfs_driver.create_volume("v1", 1)
    nfs_driver.create_snapshot("s1", volume_id="v1")
    nfs_driver.create_snapshot("s2", volume_id="v1")
    with pytest.raises(DriverError, match="latest snapshot"):
        nfs_driver.revert_to_snapshot("v1", snapshot_id="s1")
    nfs_driver.revert_to_snapshot("v1", snapshot_id="s2")
    nfs_driver.delete_volume("v1")


def test_the_schedulers_pool_is_kept_or_refused(make_nfs_driver: Callable[..., NfsDriver], tmp_path: Path) -> None:
    driver = make_nfs_driver()
    chosen = f"127.0.0.1:{tmp_path / 'export-b'}"
    driver.create_volume("v1", 1, pool=chosen)
    assert os.path.exists(tmp_path / "export-b" / "volume-v1")
    with pytest.raises(DriverError, match="is not a share of this backend"):
        driver.create_volume("v2", 1, pool="192.0.2.1:/elsewhere")
    assert driver.volume_size("v2") is None
    driver.delete_volume("v1")


def test_ids_with_dots_are_refused(nfs_driver: NfsDriver) -> None:
    # a dot separates a volume's name from its snapshots' in file names: "a.x" could pass for a's
    with pytest.raises(DriverError, match="invalid id"):
        nfs_driver.create_volume("a.x", 1)


def test_reads_and_writes_through_the_local_path(nfs_driver: NfsDriver) -> None:
    nfs_driver.create_volume("v1", 1)
    info = nfs_driver.initialize_connection("v1", nfs_driver.create_export("v1", CONNECTOR), CONNECTOR)
    target = datapath.target_of(info)
    datapath.write(target, 0x42, 4096)
    assert datapath.holds(target, 0x42, 4096)
    nfs_driver.delete_volume("v1")


def test_record_survives_what_it_does_not_know(nfs_driver: NfsDriver) -> None:
    nfs_driver.create_volume("v1", 1)
    share = _share_of(nfs_driver, "v1")
    (share / "volume-v1.info").write_text("{not json")
    with pytest.raises(DriverError, match="cannot read"):
        nfs_driver.create_snapshot("s1", volume_id="v1")
    nfs_chain.write(str(share), "v1", nfs_chain.Chain("volume-v1", formats={"volume-v1": "raw"}))
    nfs_driver.delete_volume("v1")
