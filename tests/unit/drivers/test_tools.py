"""A missing storage tool is named with the Debian package that installs it."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from drivers import runner, tools
from drivers.errors import BackendUnavailable, MissingTool


@pytest.fixture
def empty_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "bin"
    folder.mkdir()
    monkeypatch.setenv("PATH", str(folder))
    return folder


def test_one_missing_tool(empty_path: Path) -> None:
    with pytest.raises(MissingTool) as raised:
        tools.require(["tgtadm"])
    assert str(raised.value) == "tgtadm is not installed (Debian package: tgt; apt-get install tgt)"
    assert raised.value.packages == ("tgt",)


def test_several_missing_tools_one_line_one_tool_per_package(empty_path: Path) -> None:
    (empty_path / "lvs").symlink_to(sys.executable)
    with pytest.raises(MissingTool) as raised:
        tools.require(["vgs", "lvs", "lvcreate", "tgtadm", "ember-no-such-tool"])
    assert str(raised.value) == ("vgs, tgtadm, ember-no-such-tool are not installed (Debian packages: lvm2, tgt; "
                                 "apt-get install lvm2 tgt)")
    assert raised.value.tools == ("vgs", "lvcreate", "tgtadm", "ember-no-such-tool")


def test_a_tool_of_no_known_package() -> None:
    with pytest.raises(BackendUnavailable, match=r"^ember-no-such-tool is not installed \(not found on PATH\)$"):
        runner.which("ember-no-such-tool")


def test_running_a_missing_tool_names_its_package(empty_path: Path) -> None:
    with pytest.raises(MissingTool, match="apt-get install qemu-utils"):
        runner.run(["qemu-img", "--version"])


@pytest.mark.skipif(not os.path.exists("/sbin/lvs"), reason="lvm2 is not installed here")
def test_tools_behind_a_root_helper_are_found_in_sbin(empty_path: Path) -> None:
    (empty_path / "sudo").symlink_to(sys.executable)
    runner.Runner("sudo").require("lvs", root=True)
    with pytest.raises(MissingTool, match="lvs is not installed"):
        runner.Runner("").require("lvs", root=True)  # no helper: the service runs lvs itself, from its PATH
    (empty_path / "sudo").unlink()
    with pytest.raises(MissingTool, match=r"sudo is not installed \(Debian package: sudo"):
        runner.Runner("sudo -n").require("lvs", root=True)


@pytest.mark.skipif(not os.path.exists("/sbin/mount.nfs"), reason="nfs-common is not installed here")
def test_mount_helpers_are_found_where_mount_looks(empty_path: Path) -> None:
    assert tools.find("mount.nfs") is not None
