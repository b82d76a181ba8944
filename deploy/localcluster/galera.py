"""MariaDB Galera nodes galera-1..3: own datadirs, own --defaults-file, run as user mysql.

The first node of a new cluster bootstraps (--wsrep-new-cluster); every later start joins the
running nodes (IST, or rsync SST for an empty datadir).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from localcluster import layout
from localcluster.component import Component
from localcluster.procs import LaunchError, spawn, stop_group

CNF = """\
# Written by deploy/local-cluster; node {i} of 3 on loopback.
[mysqld]
user=mysql
datadir={d}/data
tmpdir={d}/tmp
socket={d}/mysqld.sock
pid-file={d}/mysqld.pid
log-error={d}/error.log
bind-address=127.0.0.1
port={port}
skip-name-resolve
# HAProxy checks every second; never block 127.0.0.1 for "too many connection errors"
max_connect_errors=1000000000
performance_schema=OFF
innodb_buffer_pool_size=64M
innodb_log_file_size=48M
binlog_format=ROW
default_storage_engine=InnoDB
innodb_autoinc_lock_mode=2
character_set_server=utf8mb4
collation_server=utf8mb4_general_ci
wsrep_on=ON
wsrep_provider={provider}
wsrep_cluster_name=ember_local
wsrep_cluster_address=gcomm://{peers}
wsrep_node_name=galera-{i}
wsrep_node_address=127.0.0.1:{gcomm}
wsrep_node_incoming_address=127.0.0.1:{port}
# keepalive_period must stay below suspect_timeout/3 or mariadbd refuses to start; join messages must
# also repeat faster than suspect_timeout, or the survivors of a kill suspect each other and lose quorum
wsrep_provider_options="gmcast.listen_addr=tcp://127.0.0.1:{gcomm};ist.recv_addr=127.0.0.1:{ist};\
gcache.size=64M;base_port={gcomm};evs.keepalive_period=PT0.3S;evs.join_retrans_period=PT0.3S;\
evs.suspect_timeout=PT1S;evs.inactive_timeout=PT3S"
wsrep_sst_method=rsync
wsrep_sst_receive_address=127.0.0.1:{sst}

[client]
socket={d}/mysqld.sock
port={port}
"""

SETUP_SQL = f"""
CREATE USER IF NOT EXISTS '{layout.DB_USER}'@'%' IDENTIFIED BY '{layout.DB_PASSWORD}';
CREATE USER IF NOT EXISTS '{layout.DB_USER}'@'localhost' IDENTIFIED BY '{layout.DB_PASSWORD}';
CREATE USER IF NOT EXISTS '{layout.DB_USER}'@'127.0.0.1' IDENTIFIED BY '{layout.DB_PASSWORD}';
GRANT ALL PRIVILEGES ON *.* TO '{layout.DB_USER}'@'%';
GRANT ALL PRIVILEGES ON *.* TO '{layout.DB_USER}'@'localhost';
GRANT ALL PRIVILEGES ON *.* TO '{layout.DB_USER}'@'127.0.0.1';
CREATE USER IF NOT EXISTS 'haproxy'@'127.0.0.1';
CREATE DATABASE IF NOT EXISTS `{layout.DB_NAME}` CHARACTER SET utf8mb4;
"""

SYNCED = "Synced"


class GaleraNode(Component):
    group = "galera"
    start_timeout_s = 120.0
    stop_grace_s = 60.0

    def __init__(self, state: Path, i: int) -> None:
        super().__init__(state, f"galera-{i}", layout.galera_sql_port(i))
        self.i = i

    @property
    def cnf(self) -> Path:
        return self.dir / "my.cnf"

    @property
    def datadir(self) -> Path:
        return self.dir / "data"

    @property
    def socket(self) -> Path:
        return self.dir / "mysqld.sock"

    def logs(self) -> list[Path]:
        return [self.dir / "error.log", self.log]

    def ports(self) -> list[int]:
        i = self.i
        return [layout.galera_sql_port(i), layout.galera_gcomm_port(i), layout.galera_ist_port(i),
                layout.galera_sst_port(i)]

    def initialized(self) -> bool:
        return (self.datadir / "mysql").is_dir()

    def prepare(self) -> None:
        super().prepare()
        if len(str(self.socket)) > 100:
            raise LaunchError(f"{self.name}: socket path {self.socket} is too long for a unix socket; "
                              f"use a shorter --state")
        for sub in ("data", "tmp"):
            (self.dir / sub).mkdir(exist_ok=True)
        peers = ",".join(f"127.0.0.1:{layout.galera_gcomm_port(n)}" for n in layout.NODES)
        self.cnf.write_text(CNF.format(
            i=self.i, d=self.dir, port=self.port, provider=layout.GALERA_PROVIDER, peers=peers,
            gcomm=layout.galera_gcomm_port(self.i), ist=layout.galera_ist_port(self.i),
            sst=layout.galera_sst_port(self.i)))
        shutil.chown(self.dir, "mysql", "mysql")
        for path in self.dir.rglob("*"):
            shutil.chown(path, "mysql", "mysql")
        probe = subprocess.run(["test", "-w", str(self.datadir)], user="mysql", check=False)
        if probe.returncode != 0:
            raise LaunchError(f"{self.name}: user mysql cannot write {self.datadir}; every folder above the "
                              f"state folder must be searchable by others (chmod o+x), or use another --state")

    def install(self) -> None:
        """Create the system tables of a brand-new cluster (its first node only)."""
        result = subprocess.run(
            ["mariadb-install-db", f"--defaults-file={self.cnf}", "--user=mysql",
             "--auth-root-authentication-method=normal", "--skip-test-db"],
            capture_output=True, text=True, check=False)
        (self.dir / "install.log").write_text(result.stdout + result.stderr)
        if result.returncode != 0:
            raise LaunchError(self.failure(f"mariadb-install-db failed (rc {result.returncode})")
                              + f"\n{result.stdout[-2000:]}{result.stderr[-2000:]}")

    def launch(self, *, bootstrap: bool = False) -> None:
        argv = ["/usr/sbin/mariadbd", f"--defaults-file={self.cnf}"]
        if bootstrap:
            argv.append("--wsrep-new-cluster")
        position = self.crash_position()
        if position:
            # what galera_recovery does under systemd: without it a crashed node asks for a full SST
            argv.append(f"--wsrep-start-position={position}")
        spawn(argv, pidfile=self.pidfile, log=self.log)

    def crash_position(self) -> str | None:
        """"uuid:seqno" recovered from InnoDB when the last stop was a crash (grastate seqno -1)."""
        state = self.grastate()
        if not self.initialized() or not state or int(state.get("seqno", "-1")) >= 0:
            return None
        log = self.dir / "recover.log"
        log.unlink(missing_ok=True)
        subprocess.run(["/usr/sbin/mariadbd", f"--defaults-file={self.cnf}", "--wsrep-recover",
                        f"--log-error={log}"], capture_output=True, timeout=120, check=False)
        text = log.read_text(errors="replace") if log.exists() else ""
        found = re.findall(r"Recovered position: ([0-9a-f-]+:-?\d+)", text)
        return found[-1] if found and not found[-1].endswith(":-1") else None

    def query(self, sql: str, *, timeout_s: float = 5.0) -> str | None:
        """Run SQL as root over the node's socket; None when the node does not answer."""
        try:
            result = subprocess.run(["mariadb", f"--defaults-file={self.cnf}", "-uroot", "-Nse", sql],
                                    capture_output=True, text=True, timeout=timeout_s, check=False)
        except subprocess.TimeoutExpired:
            return None
        return result.stdout if result.returncode == 0 else None

    def wsrep_status(self) -> dict[str, str]:
        out = self.query("SHOW STATUS WHERE Variable_name IN "
                         "('wsrep_local_state_comment','wsrep_cluster_size','wsrep_cluster_status')")
        if out is None:
            return {}
        return dict(line.split("\t", 1) for line in out.splitlines() if "\t" in line)

    def probe(self) -> tuple[bool, str]:
        status = self.wsrep_status()
        if not status:
            return False, "not answering"
        state = status.get("wsrep_local_state_comment", "?")
        detail = f"{state} size={status.get('wsrep_cluster_size', '?')} {status.get('wsrep_cluster_status', '')}"
        return state == SYNCED and status.get("wsrep_cluster_status") == "Primary", detail.strip()

    def grastate(self) -> dict[str, str]:
        try:
            text = (self.datadir / "grastate.dat").read_text()
        except FileNotFoundError:
            return {}
        return {k.strip(): v.strip() for k, _, v in (ln.partition(":") for ln in text.splitlines()) if v}

    def recovered_seqno(self) -> int:
        """The last committed seqno: grastate.dat after a clean stop, --wsrep-recover after a crash."""
        seqno = int(self.grastate().get("seqno", "-1"))
        if seqno >= 0:
            return seqno
        position = self.crash_position()
        return int(position.rsplit(":", 1)[1]) if position else -1

    def allow_bootstrap(self) -> None:
        path = self.datadir / "grastate.dat"
        if path.exists():
            path.write_text(re.sub(r"safe_to_bootstrap:\s*0", "safe_to_bootstrap: 1", path.read_text()))

    def stop(self) -> None:
        stop_group(self.record(), grace_s=self.stop_grace_s)


def choose_bootstrap(nodes: list[GaleraNode]) -> GaleraNode:
    """The node a fully stopped cluster restarts from: the one marked safe, else the most advanced."""
    initialized = [n for n in nodes if n.initialized()]
    for node in initialized:
        if node.grastate().get("safe_to_bootstrap") == "1":
            return node
    best = max(initialized, key=lambda n: n.recovered_seqno())
    best.allow_bootstrap()
    return best


def setup_database(node: GaleraNode) -> None:
    if node.query(SETUP_SQL, timeout_s=30) is None:
        raise LaunchError(node.failure("could not create the ember user and database"))
