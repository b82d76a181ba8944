"""Image headers as the drivers read them, and qemu-img under its resource limits."""

from __future__ import annotations

import struct
import subprocess
from pathlib import Path

import pytest

from drivers import images
from drivers.errors import DriverError, TryAgain
from drivers.images import Limits, QemuImg
from drivers.runner import Runner

MiB = 1024 ** 2
_L1 = struct.Struct(">IQ")  # l1_size, l1_table_offset: at byte 36 of a qcow2 header
_SNAPSHOTS = struct.Struct(">IQ")  # nb_snapshots, snapshots_offset: at byte 60
_SNAPSHOT = struct.Struct(">QIHHIIQIIQQ")  # one snapshot table entry, with 16 bytes of extra data
_CLUSTER = 65536


def _qemu_img(*args: str) -> None:
    subprocess.run(["qemu-img", *args], check=True, capture_output=True)


def _costly_to_open(path: Path) -> None:
    """A valid qcow2 whose header makes qemu allocate about 100 MiB to open it: the largest L1 table
    (32 MiB) and a snapshot table of 64000 entries with long names (62 MiB)."""
    _qemu_img("create", "-f", "qcow2", str(path), "1G")
    with open(path, "r+b") as image:
        image.seek(40)
        (l1_offset,) = struct.unpack(">Q", image.read(8))
        table = (image.seek(0, 2) + _CLUSTER - 1) // _CLUSTER * _CLUSTER
        image.seek(36)
        image.write(_L1.pack(32 * MiB // 8, table))
        name = b"n" * 960
        entries = b"".join(_SNAPSHOT.pack(l1_offset, 2, 8, len(name), 0, 0, 0, 0, 16, 0, 1 << 30)
                           + b"%07d\0" % i + name for i in range(64000))
        image.seek(table + 32 * MiB)
        image.write(entries)
        image.seek(60)
        image.write(_SNAPSHOTS.pack(64000, table + 32 * MiB))


def _address_space_an_overlay_needs(backing: Path, target: Path) -> int:
    """The address space (in 8 MiB steps) in which an overlay create over ``backing`` works three
    times in a row here: qemu-img's own footprint differs between builds and machines."""
    for limit in range(32 * MiB, 1024 * MiB, 8 * MiB):
        qemu = QemuImg(Runner(), limits=Limits(cpu_s=60, address_space_bytes=limit))
        qemu.setup()
        try:
            for _ in range(3):
                qemu.create(str(target), "qcow2", None, backing=str(backing), backing_format="qcow2")
                target.unlink()
        except DriverError:
            target.unlink(missing_ok=True)
            continue
        return limit
    raise AssertionError("qemu-img needs more than 1 GiB for a plain overlay")


def test_an_image_whose_header_costs_more_than_the_limit_fails_cleanly(tmp_path: Path) -> None:
    plain, crafted = tmp_path / "plain.qcow2", tmp_path / "crafted.qcow2"
    _qemu_img("create", "-f", "qcow2", str(plain), "1G")
    _costly_to_open(crafted)
    limit = _address_space_an_overlay_needs(plain, tmp_path / "probe.qcow2") + 32 * MiB
    qemu = QemuImg(Runner(), limits=Limits(cpu_s=60, address_space_bytes=limit))
    qemu.setup()
    qemu.create(str(tmp_path / "over-plain"), "qcow2", None, backing=str(plain), backing_format="qcow2")
    with pytest.raises(DriverError) as refused:
        qemu.create(str(tmp_path / "over-crafted"), "qcow2", None, backing=str(crafted), backing_format="qcow2")
    assert not isinstance(refused.value, TryAgain)  # a failure on its merits: not retried forever
    assert f"prlimit --cpu=60:61 --as={limit} " in str(refused.value)  # both limits, on the command itself
    assert not (tmp_path / "over-crafted").exists()


def test_inspections_run_under_cinders_limits_and_copies_do_not(tmp_path: Path) -> None:
    qemu = QemuImg(Runner())
    qemu.setup()
    assert qemu.limits == Limits(cpu_s=60, address_space_bytes=1024 * MiB)
    # a limit a copy could not live with: a create that preallocates still works, an overlay does not
    tight = QemuImg(Runner(), limits=Limits(cpu_s=1, address_space_bytes=4 * MiB))
    tight.setup()
    tight.create(str(tmp_path / "thick.qcow2"), "qcow2", 64 * MiB, options=("preallocation=metadata",))
    tight.convert(str(tmp_path / "thick.qcow2"), str(tmp_path / "copy.raw"), source_format="qcow2",
                  target_format="raw")
    with pytest.raises(DriverError, match="prlimit --cpu=1:2 --as=4194304"):
        tight.create(str(tmp_path / "overlay.qcow2"), "qcow2", None, backing=str(tmp_path / "copy.raw"),
                     backing_format="raw")


def test_an_image_keeping_its_data_in_another_file_is_refused(tmp_path: Path) -> None:
    image = tmp_path / "v.qcow2"
    _qemu_img("create", "-f", "qcow2", "-o", f"data_file={tmp_path / 'elsewhere.raw'}", str(image), "64M")
    with pytest.raises(DriverError, match="external file"):
        images.inspect(str(image), "qcow2")


def test_the_backing_format_comes_from_the_header(tmp_path: Path) -> None:
    _qemu_img("create", "-f", "raw", str(tmp_path / "base"), "1M")
    _qemu_img("create", "-f", "qcow2", "-b", "base", "-F", "raw", str(tmp_path / "top"))
    assert images.inspect(str(tmp_path / "top"), "qcow2") == images.ImageInfo("qcow2", 1024 * 1024, "base", "raw")
