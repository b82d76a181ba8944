"""The newcomer's path on a machine with only Python and make: a fresh clone, `make run`, the README's tour.

`make run` runs with a PATH that holds python3, make and touch and nothing else: no qemu-img,
no lvm2, no tgt. A configured backend whose tools are missing stops its process with one line
naming the Debian package to install.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
import pytest
from cryptography.fernet import Fernet

from bench.stack import free_port

pytestmark = pytest.mark.clients

BIN = Path(sys.executable).parent
CINDER = str(BIN / "cinder")
GiB = 1024 ** 3
DATA = b"bare machine " * 80
TAIL = b"last mebibyte " * 70
INSTALL_TIMEOUT_S = 600  # the clone's venv: pip installs ember's dependencies from PyPI (or pip's cache)


def _bare_path(folder: Path, tools: list[str]) -> str:
    """A PATH folder holding only ``tools``: python3 as the interpreter `make` would find, make and touch."""
    folder.mkdir()
    found = subprocess.run(["python3", "-c", "import sys; print(sys.executable)"], capture_output=True, text=True,
                           check=True).stdout.strip()  # through a pyenv shim too: the interpreter itself
    (folder / "python3").symlink_to(os.path.realpath(found))
    for tool in tools:
        path = shutil.which(tool)
        assert path is not None, f"{tool} is needed to run this test"
        (folder / tool).symlink_to(os.path.realpath(path))
    return str(folder)


def _bare_env(path: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "MAKEFLAGS", "MAKELEVEL", "MFLAGS"}}
    return {**env, "PATH": path}  # HOME stays: pip's cache


class Tour:
    def __init__(self, endpoint: str, share: Path) -> None:
        self.endpoint = endpoint
        self.share = share

    def cinder(self, *args: str, version: str | None = None) -> str:
        argv = [CINDER, "--os-auth-type", "noauth", "--os-endpoint", self.endpoint, "--os-user-id", "demo",
                "--os-project-id", "demo", *(["--os-volume-api-version", version] if version else []), *args]
        result = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
        assert result.returncode == 0, f"cinder {' '.join(args)}: {result.stdout}{result.stderr}"
        return result.stdout

    def field(self, table: str, name: str) -> str:
        match = re.search(rf"^\|\s*{re.escape(name)}\s*\|\s*(.*?)\s*\|$", table, re.MULTILINE)
        assert match, f"no {name} in:\n{table}"
        return match.group(1)

    def wait(self, show: str, resource_id: str, name: str, value: str, timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        current = ""
        while time.monotonic() < deadline:
            current = self.field(self.cinder(show, resource_id), name)
            if current == value:
                return
            assert not current.startswith("error"), f"{resource_id}: {current}"
            time.sleep(0.3)
        raise AssertionError(f"{resource_id}: {name} stayed {current}, not {value}")

    def wait_gone(self, listing: str, resource_id: str, timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        while resource_id in self.cinder(listing):
            assert time.monotonic() < deadline, f"{resource_id} was not deleted"
            time.sleep(0.3)

    def volume_file(self, volume_id: str) -> Path:
        return self.share / f"volume-{volume_id}"

    def holds(self, volume_id: str, data: bytes, offset: int) -> bool:
        with open(self.volume_file(volume_id), "rb") as f:
            f.seek(offset)
            return f.read(len(data)) == data


@dataclass
class MakeRun:
    make: subprocess.Popen[bytes]
    log_path: Path
    clone: Path
    tour: Tour


@pytest.fixture
def make_run(tmp_path: Path) -> Iterator[MakeRun]:
    """`make run` in a fresh clone of this checkout's repository, with the bare PATH; stopped afterwards."""
    root = subprocess.run(["git", "-C", str(Path(__file__).parent), "rev-parse", "--show-toplevel"],
                          capture_output=True, text=True, check=True).stdout.strip()
    clone = tmp_path / "ember"
    subprocess.run(["git", "clone", "--quiet", root, str(clone)], check=True, timeout=120)
    state = tmp_path / "state"
    port = free_port()
    conf = tmp_path / "ember.conf"
    conf.write_text(f"[DEFAULT]\nstate_path = {state}\nosapi_volume_listen_port = {port}\n")
    bare = _bare_path(tmp_path / "bin", ["make", "touch"])
    assert shutil.which("qemu-img", path=bare) is None and shutil.which("tgtadm", path=bare) is None
    log_path = tmp_path / "make-run.log"
    with open(log_path, "wb") as log:
        make = subprocess.Popen([f"{bare}/make", "run", f"ARGS=--config-file {conf}"], cwd=clone,
                                env=_bare_env(bare), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield MakeRun(make, log_path, clone, Tour(f"http://127.0.0.1:{port}/v3", state / "volumes" / "file-1"))
    finally:
        if make.poll() is None:
            os.killpg(make.pid, signal.SIGKILL)
            make.wait()


def _wait_for_api(make: subprocess.Popen[bytes], log_path: Path, endpoint: str) -> None:
    deadline = time.monotonic() + INSTALL_TIMEOUT_S
    while time.monotonic() < deadline:
        assert make.poll() is None, f"make run exited with {make.returncode}:\n{log_path.read_text()[-3000:]}"
        try:
            pools = httpx.get(f"{endpoint}/scheduler-stats/get_pools", headers={"X-Auth-Token": "admin:admin"},
                              timeout=2)
            if pools.status_code == 200 and any("@file-1#" in p["name"] for p in pools.json()["pools"]):
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise AssertionError(f"ember did not come up:\n{log_path.read_text()[-3000:]}")


@pytest.mark.timeout(INSTALL_TIMEOUT_S + 300)
def test_make_run_on_a_bare_machine_serves_the_tour(make_run: MakeRun) -> None:
    make, log_path, tour = make_run.make, make_run.log_path, make_run.tour
    _wait_for_api(make, log_path, tour.endpoint)
    venv = make_run.clone / ".venv" / "bin"
    assert (venv / "ember-all").exists() and not (venv / "pytest").exists()  # what running needs, no test extras

    volume = tour.field(tour.cinder("create", "--name", "db", "1"), "id")
    tour.wait("show", volume, "status", "available")
    with open(tour.volume_file(volume), "r+b") as f:
        f.write(DATA)
        f.seek(GiB - len(TAIL))
        f.write(TAIL)

    snapshot = tour.field(tour.cinder("snapshot-create", "--name", "before-upgrade", volume), "id")
    tour.wait("snapshot-show", snapshot, "status", "available")
    from_snapshot = tour.field(tour.cinder("create", "--snapshot-id", snapshot, "--name", "db-copy", "1"), "id")
    clone = tour.field(tour.cinder("create", "--source-volid", volume, "--name", "db-clone", "2"), "id")
    for copy in (from_snapshot, clone):
        tour.wait("show", copy, "status", "available")
        assert tour.holds(copy, DATA, 0) and tour.holds(copy, TAIL, GiB - len(TAIL)), copy
    assert tour.volume_file(clone).stat().st_size == 2 * GiB

    tour.cinder("extend", volume, "2")
    tour.wait("show", volume, "size", "2")
    assert tour.volume_file(volume).stat().st_size == 2 * GiB and tour.holds(volume, DATA, 0)

    created = tour.cinder("attachment-create", volume, "0b8d3c52-77a1-4c1e-9f3a-5a6b7c8d9e0f", "--connect", "True",
                          "--initiator", "iqn.1993-08.org.debian:01:compute-1", "--host", "compute-1",
                          "--mountpoint", "/dev/vdb", version="3.54")
    attachment = tour.field(created, "id")
    assert tour.field(created, "driver_volume_type") == "local"
    assert str(tour.volume_file(volume)) in created
    tour.cinder("attachment-complete", attachment, version="3.44")
    tour.wait("show", volume, "status", "in-use")
    tour.cinder("attachment-delete", attachment, version="3.44")
    tour.wait("show", volume, "status", "available")

    tour.cinder("snapshot-delete", snapshot)
    tour.wait_gone("snapshot-list", snapshot)
    tour.cinder("delete", volume, from_snapshot, clone)
    for volume_id in (volume, from_snapshot, clone):
        tour.wait_gone("list", volume_id)
        assert not tour.volume_file(volume_id).exists()
    assert sorted(os.listdir(tour.share)) == []

    # Ctrl-C's work, done by SIGTERM to ember-all: it stops cleanly, and so does make
    (ember_all,) = [p for p in psutil.Process(make.pid).children(recursive=True)
                    if any(Path(arg).name == "ember-all" for arg in p.cmdline())]  # not the shell make runs
    ember_all.send_signal(signal.SIGTERM)
    assert make.wait(timeout=60) == 0, log_path.read_text()[-3000:]
    with pytest.raises(ProcessLookupError):
        os.killpg(make.pid, 0)  # nothing of the group is left
    output = log_path.read_text()
    assert "ember is running at" in output
    assert "Traceback" not in output, output[-5000:]


def _start_without_tools(tmp_path: Path, binary: str, backend_section: str) -> subprocess.CompletedProcess[str]:
    backend = backend_section.splitlines()[0].strip("[]")
    conf = tmp_path / "ember.conf"
    # a key of its own, so ember-volume has no generated-key warning to print before its one line
    conf.write_text(f"[DEFAULT]\nstate_path = {tmp_path / 'state'}\nenabled_backends = {backend}\n"
                    f"osapi_volume_listen_port = {free_port()}\n{backend_section}\n"
                    f"[keys]\nsecret_keys = {Fernet.generate_key().decode()}\n")
    bare = _bare_path(tmp_path / "bin", [])
    return subprocess.run([str(BIN / binary), "--config-file", str(conf)], env=_bare_env(bare), capture_output=True,
                          text=True, timeout=120, check=False)


@pytest.mark.parametrize("binary", ["ember-volume", "ember-all"])
def test_an_lvm_backend_without_its_tools_names_the_packages(tmp_path: Path, binary: str) -> None:
    result = _start_without_tools(tmp_path, binary, "[lvm-1]\nvolume_driver = lvm\nvolume_group = ember-volumes\n")
    _assert_one_line(result, binary, "lvm-1")
    (line,) = [line for line in result.stderr.splitlines() if "cannot start" in line]
    assert "Debian packages: lvm2, tgt, util-linux, qemu-utils" in line
    assert "apt-get install lvm2 tgt util-linux qemu-utils" in line


@pytest.mark.parametrize("binary", ["ember-volume", "ember-all"])
def test_an_nfs_backend_without_qemu_img_names_the_package(tmp_path: Path, binary: str) -> None:
    (tmp_path / "export").mkdir()
    (tmp_path / "nfs_shares").write_text(f"127.0.0.1:{tmp_path / 'export'}\n")
    result = _start_without_tools(tmp_path, binary, f"[nfs-1]\nvolume_driver = nfs\n"
                                                    f"nfs_shares_config = {tmp_path / 'nfs_shares'}\n")
    _assert_one_line(result, binary, "nfs-1")
    assert (f"{binary}: backend nfs-1 cannot start: qemu-img is not installed (Debian package: qemu-utils; "
            "apt-get install qemu-utils)") in result.stderr.splitlines()


def _assert_one_line(result: subprocess.CompletedProcess[str], binary: str, backend: str) -> None:
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "Traceback" not in output, output
    (line,) = [line for line in output.splitlines() if "apt-get install" in line]
    assert line.startswith(f"{binary}: backend {backend} cannot start: "), output
    if binary == "ember-volume":  # ember-all logs its database migrations first
        assert output.strip() == line
