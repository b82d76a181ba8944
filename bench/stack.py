"""Starting a throw-away ember for benchmarks and the integration tier.

``EmbeddedStack`` runs ``ember-all`` (SQLite, fake://). ``SplitStack`` runs ember-api,
ember-scheduler ×2, ember-volume and ember-backup as separate processes on the machine's
MariaDB and RabbitMQ, in a database and a vhost of their own that it drops afterwards.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent
MARIADB_URL = os.environ.get("EMBER_TEST_MARIADB", "mysql+mysqldb://root@127.0.0.1:3306")
RABBIT = os.environ.get("EMBER_TEST_RABBIT", "guest:guest@127.0.0.1:5672")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _backend_section(driver: str, share: Path, backend_host: str | None) -> str:
    shared = f"backend_host = {backend_host}\n" if backend_host else ""
    if driver == "noop":
        return f"[noop-1]\nvolume_driver = noop\nvolume_backend_name = noop-1\n{shared}"
    return (f"[file-1]\nvolume_driver = file\nvolume_backend_name = file-1\nfile_share_path = {share}\n"
            f"file_capacity_gb = 1000\n{shared}")


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path

    def stop(self, sig: int = signal.SIGTERM, timeout_s: float = 10) -> None:
        self.signal(sig)
        self.wait_stopped(time.monotonic() + timeout_s)

    def signal(self, sig: int = signal.SIGTERM) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(sig)

    def wait_stopped(self, deadline: float) -> None:
        """Wait until the process has ended, killing it at ``deadline`` (a time.monotonic value)."""
        try:
            self.popen.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@dataclass
class _Stack:
    driver: str = "noop"
    quota_volumes: int = -1
    extra_conf: str = ""
    extra_sections: str = ""  # whole sections appended to ember.conf (e.g. [keystone_authtoken])
    # the token wait_ready asks the pools with: noauth's admin, or a Keystone admin's token
    admin_token: str = "admin:admin"
    # more than one: volume-a, volume-b, ... serve the one backend as "split@<backend>", one active
    volume_services: int = 1
    backup_services: int = 1  # backup-1, backup-2, ...: active/active
    coordination_url: str = "sql://"
    # backend name -> its section's options (instead of the one ``driver`` backend)
    backend_sections: dict[str, str] = field(default_factory=dict)
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="ember-stack-")))
    port: int = field(default_factory=free_port)
    processes: dict[str, Process] = field(default_factory=dict)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}/v3"

    @property
    def backend(self) -> str:
        if self.backend_sections:
            return ",".join(self.backend_sections)
        return "noop-1" if self.driver == "noop" else "file-1"

    def _backend_sections(self) -> str:
        backend_host = "split" if self.volume_services > 1 else None
        if not self.backend_sections:
            return _backend_section(self.driver, self.workdir / "share", backend_host)
        shared = f"backend_host = {backend_host}\n" if backend_host else ""
        return "\n".join(f"[{name}]\nvolume_backend_name = {name}\n{options.strip()}\n{shared}"
                         for name, options in self.backend_sections.items())

    def _common_conf(self, transport_url: str, db_url: str | None) -> str:
        database = f"[database]\nconnection = {db_url}\n" if db_url else ""
        quotas = (f"quota_volumes = {self.quota_volumes}\nquota_gigabytes = -1\nquota_snapshots = -1\n"
                  if self.quota_volumes is not None else "")
        return (f"[DEFAULT]\nstate_path = {self.workdir / 'state'}\ntransport_url = {transport_url}\n"
                f"enabled_backends = {self.backend}\nosapi_volume_listen_port = {self.port}\n"
                f"report_interval = 2\n{quotas}{self.extra_conf}\n{database}\n"
                f"[oslo_messaging_rabbit]\nrabbit_quorum_queue = true\n\n"
                f"[coordination]\nbackend_url = {self.coordination_url}\n\n" + self._backend_sections()
                + (f"\n{self.extra_sections}" if self.extra_sections else ""))

    def spawn(self, name: str, argv: list[str], *, host: str | None = None) -> Process:
        conf_files = ["--config-file", str(self.workdir / "ember.conf")]
        if host:
            host_conf = self.workdir / f"{name}.conf"
            host_conf.write_text(f"[DEFAULT]\nhost = {host}\n")
            conf_files += ["--config-file", str(host_conf)]
        log_path = self.workdir / f"{name}.log"
        with open(log_path, "ab") as log:
            # fewer malloc arenas: ember's threads are many and mostly idle (as in deploy/systemd)
            popen = subprocess.Popen([str(BIN / argv[0]), *argv[1:], *conf_files], stdout=log,
                                     stderr=subprocess.STDOUT, start_new_session=True,
                                     env={**os.environ, "MALLOC_ARENA_MAX": "2"})
        process = Process(name, popen, log_path)
        self.processes[name] = process
        return process

    def wait_ready(self, timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for process in self.processes.values():
                if process.popen.poll() is not None:
                    raise RuntimeError(f"{process.name} exited with {process.popen.returncode}:\n"
                                       f"{process.log_tail()}")
            try:
                pools = httpx.get(f"{self.endpoint}/scheduler-stats/get_pools",
                                  headers={"X-Auth-Token": self.admin_token}, timeout=2)
                names = [p["name"] for p in pools.json().get("pools", [])] if pools.status_code == 200 else []
                if all(any(f"@{backend}#" in name for name in names) for backend in self.backend.split(",")):
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError("ember did not come up:\n" + "\n".join(
            f"--- {p.name}\n{p.log_tail()}" for p in self.processes.values()))

    def pids(self) -> dict[str, int]:
        return {name: p.popen.pid for name, p in self.processes.items() if p.popen.poll() is None}

    def stop(self, timeout_s: float = 10) -> None:
        """SIGTERM every process at once (an idle RPC server may need up to 5 s to notice), then wait."""
        processes = list(reversed(self.processes.values()))
        for process in processes:
            process.signal()
        deadline = time.monotonic() + timeout_s
        for process in processes:
            process.wait_stopped(deadline)
        self.processes.clear()


@dataclass
class EmbeddedStack(_Stack):
    def start(self) -> EmbeddedStack:
        (self.workdir / "ember.conf").write_text(self._common_conf("fake://", None))
        self.spawn("ember-all", ["ember-all"])
        self.wait_ready()
        return self

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)


@dataclass
class SplitStack(_Stack):
    """Separate processes on MariaDB + RabbitMQ, in a database and vhost of their own."""

    name: str = field(default_factory=lambda: f"ember_{uuid.uuid4().hex[:10]}")
    schedulers: int = 2

    @property
    def db_url(self) -> str:
        return f"{MARIADB_URL}/{self.name}"

    def volume_nodes(self) -> list[str]:
        """The names of the volume services when several serve the backend (none when one does)."""
        return [f"volume-{chr(ord('a') + i)}" for i in range(self.volume_services)] if self.volume_services > 1 else []

    @property
    def transport_url(self) -> str:
        return f"rabbit://{RABBIT}/{self.name}"

    def create_backing(self) -> None:
        import sqlalchemy as sa

        engine = sa.create_engine(MARIADB_URL, hide_parameters=True)
        with engine.begin() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE `{self.name}`")
        engine.dispose()
        _rabbitmqctl("add_vhost", self.name)
        _rabbitmqctl("set_permissions", "-p", self.name, RABBIT.split(":")[0], ".*", ".*", ".*")

    def drop_backing(self) -> None:
        import sqlalchemy as sa

        engine = sa.create_engine(MARIADB_URL, hide_parameters=True)
        with engine.begin() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{self.name}`")
        engine.dispose()
        _rabbitmqctl("delete_vhost", self.name, check=False)

    def write_conf(self) -> None:
        (self.workdir / "ember.conf").write_text(self._common_conf(self.transport_url, self.db_url))

    def start(self) -> SplitStack:
        self.create_backing()
        self.write_conf()
        sync = subprocess.run([str(BIN / "ember-manage"), "--config-file", str(self.workdir / "ember.conf"),
                               "db", "sync"], capture_output=True, text=True, timeout=120, check=False)
        if sync.returncode != 0:
            raise RuntimeError(f"db sync failed: {sync.stderr[-2000:]}")
        self.spawn("api", ["ember-api"], host="api-1")
        for i in range(1, self.schedulers + 1):
            self.spawn(f"scheduler-{i}", ["ember-scheduler"], host=f"scheduler-{i}")
        if self.volume_services == 1:
            self.spawn("volume", ["ember-volume"], host="volume-1")
        for node in self.volume_nodes():
            self.spawn(node, ["ember-volume"], host=node)
        for i in range(1, self.backup_services + 1):
            self.spawn("backup" if i == 1 else f"backup-{i}", ["ember-backup"], host=f"backup-{i}")
        self.wait_ready()
        return self

    def close(self) -> None:
        self.stop()
        self.drop_backing()
        shutil.rmtree(self.workdir, ignore_errors=True)


def _rabbitmqctl(*args: str, check: bool = True) -> None:
    result = subprocess.run(["rabbitmqctl", "-q", *args], capture_output=True, text=True, timeout=60, check=False)
    if check and result.returncode != 0:
        raise RuntimeError(f"rabbitmqctl {' '.join(args)} failed: {result.stderr.strip()}")
