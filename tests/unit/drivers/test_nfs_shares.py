"""The nfs driver's shares file and how each share is reached."""

from __future__ import annotations

from pathlib import Path

import pytest

from drivers.errors import BackendUnavailable
from drivers.nfs_shares import attach, is_this_host, parse_line, read_shares_file
from drivers.runner import Runner


@pytest.mark.parametrize("line, parsed", [
    ("192.0.2.5:/srv/nfs/vol", ("192.0.2.5:/srv/nfs/vol", "192.0.2.5", "/srv/nfs/vol", None)),
    ("nas.example:/export  vers=3,noatime  # the big one",
     ("nas.example:/export", "nas.example", "/export", "vers=3,noatime")),
    ("nas:/export -o vers=3", ("nas:/export", "nas", "/export", "vers=3")),
    ("[2001:db8::5]:/export", ("[2001:db8::5]:/export", "2001:db8::5", "/export", None)),
    ("   # a comment", None),
    ("", None),
])
def test_lines(line: str, parsed: tuple[str, str, str, str | None] | None) -> None:
    assert parse_line(line) == parsed


@pytest.mark.parametrize("line", ["no-colon-here", "host:relative/path", ":/export"])
def test_bad_lines_are_refused(line: str) -> None:
    with pytest.raises(BackendUnavailable, match="not host:/export"):
        parse_line(line)


def test_an_empty_or_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BackendUnavailable, match="cannot read"):
        read_shares_file(str(tmp_path / "missing"))
    (tmp_path / "empty").write_text("# nothing yet\n")
    with pytest.raises(BackendUnavailable, match="lists no share"):
        read_shares_file(str(tmp_path / "empty"))


def test_this_host() -> None:
    assert is_this_host("127.0.0.1") and is_this_host("localhost")
    assert not is_this_host("192.0.2.1")  # TEST-NET-1: never an address of a machine here
    assert not is_this_host("no-such-host.invalid")


def test_a_local_folder_is_used_in_place(tmp_path: Path) -> None:
    export = tmp_path / "export"
    export.mkdir()
    share = attach(Runner(), address=f"127.0.0.1:{export}", host="127.0.0.1", export=str(export), options=None,
                   mount_point_base=str(tmp_path / "mnt"), default_options=None)
    assert share.local_path == str(export)
    assert share.url("volume-1") == f"nfs://127.0.0.1{export}/volume-1"
    assert not (tmp_path / "mnt").exists()  # nothing was mounted
