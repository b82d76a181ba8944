"""The nfs driver on local shares: what a crash leaves, what a guest may write, and whose files a chain may name."""

from __future__ import annotations

import grp
import json
import os
import stat
import struct
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from drivers import nfs_chain
from drivers.errors import BackendUnavailable, DriverError
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


# -- files only their owner and group open ---------------------------------------------------------

def _other_group() -> grp.struct_group:
    """A group that is not the test process's own, which the files are then given."""
    candidates = [g for g in grp.getgrall() if g.gr_gid != os.getegid()]
    if os.geteuid() != 0:  # a non-root service may give its files only one of its own groups
        candidates = [g for g in candidates if g.gr_gid in os.getgroups()]
    if not candidates:
        pytest.skip("no second group to give the files")
    return candidates[0]


def _modes(*folders: Path) -> dict[str, tuple[str, int, int]]:
    return {p.name: (oct(stat.S_IMODE(p.stat().st_mode)), p.stat().st_uid, p.stat().st_gid)
            for folder in folders for p in folder.iterdir()}


def test_every_file_is_0660_with_the_backends_group_whatever_the_umask(
        make_nfs_driver: Callable[..., NfsDriver], tmp_path: Path) -> None:
    group = _other_group()
    previous = os.umask(0)  # the most permissive: qemu-img alone would leave files 0644, open() 0666
    try:
        driver = make_nfs_driver(nas_file_group=group.gr_name)
        driver.create_volume("v1", 1)
        driver.create_snapshot("s1", volume_id="v1")
        driver.create_snapshot("s2", volume_id="v1")
        driver.clone_volume("c1", 1, source_volume_id="v1")
        driver.create_volume_from_snapshot("f1", 2, snapshot_id="s1", source_volume_id="v1")
        driver.revert_to_snapshot("v1", snapshot_id="s2")
        driver.delete_snapshot("s1", volume_id="v1")
        driver.extend_volume("c1", 2)
    finally:
        os.umask(previous)
    files = _modes(tmp_path / "export-a", tmp_path / "export-b")
    assert {"volume-v1.info", "volume-v1.s2", "volume-c1", "volume-f1.info"} <= set(files)
    assert set(files.values()) == {("0o660", os.geteuid(), group.gr_gid)}, files
    for volume_id in ("v1", "c1", "f1"):
        driver.delete_volume(volume_id)


def test_files_left_open_by_an_earlier_run_are_closed_at_setup(make_nfs_driver: Callable[..., NfsDriver],
                                                                tmp_path: Path) -> None:
    driver = make_nfs_driver(nas_secure_file_permissions="false")
    driver.create_volume("v1", 1)
    driver.create_snapshot("s1", volume_id="v1")
    share = _share_of(driver, "v1")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE((share / "volume-v1").stat().st_mode) == 0o644 & ~umask  # as qemu-img makes it
    for path in share.iterdir():
        path.chmod(0o644)  # what a Cinder or an older ember left
    group = _other_group()
    make_nfs_driver(nas_secure_file_permissions="auto", nas_file_group=str(group.gr_gid))
    assert set(_modes(share).values()) == {("0o660", os.geteuid(), group.gr_gid)}


def test_an_unknown_group_stops_the_setup(make_nfs_driver: Callable[..., NfsDriver]) -> None:
    with pytest.raises(BackendUnavailable, match="ember-no-such-group"):
        make_nfs_driver(nas_file_group="ember-no-such-group")


# -- a chain names only its own files, by full path ------------------------------------------------

def _tamper(overlay: Path, backing: str, backing_format: str = "raw") -> None:
    """Point ``overlay``'s header at ``backing``, as a host that mounts the share could."""
    subprocess.run(["qemu-img", "rebase", "-u", "-f", "qcow2", "-b", backing, "-F", backing_format, str(overlay)],
                   check=True, capture_output=True)


@pytest.mark.parametrize("how", ["absolute path", "dot-dot"])
def test_an_overlay_naming_an_outside_file_of_the_same_name_is_refused(nfs_driver: NfsDriver, tmp_path: Path,
                                                                      how: str) -> None:
    outside = tmp_path / "other-share"
    outside.mkdir()
    (outside / "volume-v1").write_bytes(b"another tenant's disk\n" * 50_000)  # the chain's base file's name
    nfs_driver.create_volume("v1", 1)
    nfs_driver.create_snapshot("s1", volume_id="v1")
    share = _share_of(nfs_driver, "v1")
    name = str(outside / "volume-v1") if how == "absolute path" else f"../{outside.name}/volume-v1"
    _tamper(share / "volume-v1.s1", name)
    with pytest.raises(DriverError, match="not a file of this volume's chain"):
        nfs_driver.clone_volume("copy", 1, source_volume_id="v1")  # a copy would carry the other disk's bytes
    assert nfs_driver.volume_size("copy") is None
    with pytest.raises(DriverError, match="not a file of this volume's chain"):
        nfs_driver.delete_snapshot("s1", volume_id="v1")  # a rebase would merge them into this volume
    with pytest.raises(DriverError, match="not a file of this volume's chain"):
        nfs_driver.extend_volume("v1", 2)
    assert (share / "volume-v1").exists() and nfs_driver.volume_size("v1") == GiB
    assert (outside / "volume-v1").read_bytes().startswith(b"another tenant's disk")


def test_an_overlay_that_would_have_its_raw_base_probed_as_qcow2_is_refused(nfs_driver: NfsDriver) -> None:
    nfs_driver.create_volume("v1", 1)
    path = nfs_driver.volume_path("v1")
    assert path is not None
    with open(path, "r+b") as disk:  # the guest's bytes, read as a qcow2 header, would name a host file
        disk.write(_fake_qcow2_header("/etc/hostname"))
    nfs_driver.create_snapshot("s1", volume_id="v1")
    _tamper(_share_of(nfs_driver, "v1") / "volume-v1.s1", "volume-v1", backing_format="qcow2")
    with pytest.raises(DriverError, match="in format qcow2, but the record gives raw"):
        nfs_driver.clone_volume("copy", 1, source_volume_id="v1")


@pytest.mark.parametrize(("name", "own"), [
    ("volume-v1", "volume-v1"),
    ("./volume-v1", "volume-v1"),
    ("{folder}/volume-v1", "volume-v1"),
    ("{folder}/../export-a/volume-v1", "volume-v1"),
    ("nfs://127.0.0.1/export-a/volume-v1", "volume-v1"),
    ("/srv/other/volume-v1", None),
    ("../volume-v1", None),
    ("sub/volume-v1", None),
    ("volume-v2", None),
    ("json:{\"file.filename\": \"/etc/shadow\"}", None),
    ("nfs://127.0.0.1/export-b/volume-v1", None),
    ("nfs://127.0.0.1/export-a/../export-b/volume-v1", None),
    ("nfs://192.0.2.1/export-a/volume-v1", None),
    ("nfs://127.0.0.1/export-a/volume-v1?uid=0", None),
    ("nfs://127.0.0.1/export-a/sub/volume-v1", None),
])
def test_a_backing_name_is_resolved_before_it_is_compared(tmp_path: Path, name: str, own: str | None) -> None:
    folder = tmp_path / "export-a"
    folder.mkdir()
    chain = nfs_chain.Chain("volume-v1.s1", {"s1": "volume-v1"}, {"volume-v1": "raw", "volume-v1.s1": "qcow2"})
    reference = name.replace("{folder}", str(folder))
    if own is None:
        with pytest.raises(DriverError, match="not a file of this volume's chain"):
            chain.own(reference, folder=str(folder), folder_url="nfs://127.0.0.1/export-a/")
    else:
        assert chain.own(reference, folder=str(folder), folder_url="nfs://127.0.0.1/export-a/") == own


@pytest.mark.parametrize("active", ["../export-b/volume-v1", "/etc/passwd", "volume-v2", "volume-v1.info",
                                    "volume-v1.s1/../../x"])
def test_a_record_naming_anything_but_the_volumes_own_files_is_refused(nfs_driver: NfsDriver, active: str) -> None:
    nfs_driver.create_volume("v1", 1)
    share = _share_of(nfs_driver, "v1")
    (share / "volume-v1.info").write_text(json.dumps({"active": active, "formats": {active: "raw"}}))
    with pytest.raises(DriverError, match="which is not a file of volume v1"):
        nfs_driver.volume_size("v1")
    with pytest.raises(DriverError, match="which is not a file of volume v1"):
        nfs_driver.clone_volume("copy", 1, source_volume_id="v1")
    nfs_chain.write(str(share), "v1", nfs_chain.Chain("volume-v1", formats={"volume-v1": "raw"}))
    nfs_driver.delete_volume("v1")
