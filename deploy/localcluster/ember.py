"""The ember processes: one table of roles, the shared ember.conf and one override file per process.

Each process runs ``<script> --config-file ember.conf --config-file <name>.conf``; the override sets
its ``host`` (and, for an api process, its listen port). Each backend has two volume services,
volume-<backend>-a and -b, sharing its identity ``cluster@<backend>``: one active, one standby.
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from localcluster import layout, probes
from localcluster.backends import BackendStorage
from localcluster.component import Component
from localcluster.keystone import authtoken_section
from localcluster.procs import LaunchError, spawn, tail

# a service without a port is healthy while its heartbeat row is this fresh (ember's service_down_time)
HEARTBEAT_FRESH_S = 30.0


@dataclass(frozen=True)
class Role:
    role: str
    script: str
    count: int = 1
    per_backend: bool = False
    listens: bool = False


EMBER_TABLE: tuple[Role, ...] = (
    Role("api", "ember-api", count=layout.API_COUNT, listens=True),
    Role("scheduler", "ember-scheduler", count=layout.SCHEDULER_COUNT),
    Role("volume", "ember-volume", per_backend=True),
    Role("backup", "ember-backup", count=layout.BACKUP_COUNT),
)
VOLUME_SCRIPT = "ember-volume"


class EmberProcess(Component):
    group = "ember"
    start_timeout_s = 60.0
    stop_grace_s = 15.0

    def __init__(self, state: Path, name: str, *, script: str, overrides: dict[str, str],
                 port: int | None = None) -> None:
        super().__init__(state, name, port)
        self.script = script
        self.overrides = overrides

    @property
    def conf(self) -> Path:
        return self.state / "ember" / f"{self.name}.conf"

    def prepare(self) -> None:
        super().prepare()
        lines = ["# Written by deploy/local-cluster: what only this process sets.", "[DEFAULT]"]
        lines += [f"{k} = {v}" for k, v in self.overrides.items()]
        self.conf.write_text("\n".join(lines) + "\n")

    def launch(self) -> None:
        env = dict(os.environ, PYTHONUNBUFFERED="1", MALLOC_ARENA_MAX="2")
        spawn([str(layout.VENV / "bin" / self.script), "--config-file", str(common_conf(self.state)),
               "--config-file", str(self.conf)], pidfile=self.pidfile, log=self.log, env=env, cwd=self.dir)

    def probe(self) -> tuple[bool, str]:
        if self.port is not None:
            status, _ = probes.http_get(f"http://127.0.0.1:{self.port}/healthcheck", timeout_s=1.0)
            return status == 200, f"/healthcheck {status or 'no answer'}"
        record = self.record()
        if record is None:
            return False, ""
        row = service_row(self.name)
        if row is None:
            return False, "no heartbeat in the services table"
        beat, role, epoch = row
        age_s = time.time() - beat
        # a beat from before this start belongs to the previous incarnation
        fresh = beat >= record.started_at and age_s <= HEARTBEAT_FRESH_S
        detail = f"heartbeat {age_s:.0f}s ago"
        if self.script == VOLUME_SCRIPT and role:
            detail = f"{role} (epoch {epoch}), {detail}"
        return fresh, detail


def service_row(node: str) -> tuple[float, str | None, int | None] | None:
    """(epoch seconds of its newest heartbeat, HA role, HA epoch) of process ``node``, from the services table."""
    fields = _query("SET time_zone = '+00:00'; SELECT UNIX_TIMESTAMP(heartbeat_at), COALESCE(ha_role, ''), "
                    f"COALESCE(ha_epoch, '') FROM services WHERE node = '{node}' ORDER BY heartbeat_at DESC LIMIT 1")
    if fields is None or len(fields) != 3:
        return None  # not registered (yet)
    beat, role, epoch = fields
    try:
        return float(beat), role or None, int(epoch) if epoch else None
    except ValueError:
        return None


def pools_reported(backend: str) -> bool:
    """Whether ``backend``'s active has reported its pools: until then a scheduler has nowhere to put a volume."""
    fields = _query(f"SELECT COUNT(*) FROM pools WHERE volume_backend_name = '{backend}'")
    return fields is not None and fields[0] not in ("", "0")


def _query(sql: str) -> list[str] | None:
    """The first row ``sql`` answers in ember's database through HAProxy, as strings (None: no answer)."""
    try:
        result = subprocess.run(
            ["mariadb", "--no-defaults", "--protocol=tcp", "-h", "127.0.0.1", "-P", str(layout.HAPROXY_GALERA_PORT),
             f"-u{layout.DB_USER}", f"-p{layout.DB_PASSWORD}", "--connect-timeout=2", "-D", layout.DB_NAME,
             "-Nse", sql], capture_output=True, text=True, timeout=5, check=False)
    except subprocess.TimeoutExpired:
        return None
    if result.returncode != 0 or not result.stdout:
        return None
    return result.stdout.splitlines()[0].split("\t")


def processes(state: Path, backends: list[str]) -> list[EmberProcess]:
    found: list[EmberProcess] = []
    for role in EMBER_TABLE:
        if role.per_backend:
            for backend in backends:
                for node in layout.VOLUME_NODES:
                    name = f"{role.role}-{backend}-{node}"
                    found.append(EmberProcess(state, name, script=role.script,
                                              overrides={"host": name, "enabled_backends": backend}))
            continue
        for i in range(1, role.count + 1):
            name = f"{role.role}-{i}"
            overrides = {"host": name}
            port = None
            if role.listens:
                port = layout.api_port(i)
                overrides.update(osapi_volume_listen="127.0.0.1", osapi_volume_listen_port=str(port))
            found.append(EmberProcess(state, name, script=role.script, overrides=overrides, port=port))
    return found


def started_backends(state: Path) -> list[str]:
    """Backends whose volume processes were started in this state folder at some point."""
    names = {p.parent.name.removeprefix("volume-") for p in (state / "ember").glob("volume-*/pid")}
    return sorted({name.rsplit("-", 1)[0] for name in names if name.rsplit("-", 1)[-1] in layout.VOLUME_NODES})


def common_conf(state: Path) -> Path:
    return state / "ember" / "ember.conf"


def secret_key_file(state: Path) -> Path:
    """The one key file every ember process of the cluster reads ([keys] secret_key_file), made once."""
    path = state / "ember" / "secret_keys"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as file:
            file.write(base64.urlsafe_b64encode(os.urandom(32)).decode() + "\n")  # a Fernet key
    return path


def write_common_conf(state: Path, backends: list[str], coordination: str, *,
                      keystone: dict[str, str] | None = None) -> Path:
    """The shared ember.conf; with ``keystone`` (its ``[keystone_authtoken]`` values) the api services
    validate Keystone tokens (``auth_strategy = keystone``), otherwise they take noauth tokens."""
    path = common_conf(state)
    path.parent.mkdir(parents=True, exist_ok=True)
    sections = [f"""\
# Written by deploy/local-cluster; every ember process reads this file, then its own <name>.conf.
[DEFAULT]
transport_url = {layout.transport_url()}
enabled_backends = {",".join(backends)}
state_path = {state / "ember" / "state"}
auth_strategy = {"keystone" if keystone else "noauth"}

[database]
connection = {layout.db_url()}

[keys]
secret_key_file = {secret_key_file(state)}

[oslo_messaging_rabbit]
rabbit_quorum_queue = true
rabbit_retry_interval = 1
rabbit_retry_backoff = 1
rabbit_interval_max = 2
heartbeat_timeout_threshold = 15

[coordination]
backend_url = {layout.coordination_url(coordination)}

[oslo_middleware]
# HAProxy (haproxy.cfg.in) sets X-Forwarded-Proto and drops the forwarding headers clients send
enable_proxy_headers_parsing = true
"""]
    if keystone:
        sections.append("\n# the cluster's Keystone (deploy/localcluster/keystone.py); ember validates tokens as its "
                        "service user\n" + authtoken_section(keystone))
    storage = BackendStorage(state, backends)
    for backend in backends:
        sections.append(f"""
[{backend}]
volume_driver = {layout.driver_of(backend)}
volume_backend_name = {backend}
backend_host = {layout.BACKEND_HOST}
{storage.section(backend)}""")
    path.write_text("".join(sections))
    return path


def check_backends(backends: list[str]) -> None:
    unsupported = [b for b in backends if layout.driver_of(b) not in layout.DRIVERS]
    if unsupported:
        raise LaunchError(f"the launcher sets up lvm-N, nfs-N and file-N backends, not {unsupported}")


def ensure_venv() -> None:
    python = layout.VENV / "bin" / "python"
    if not python.exists():
        print(f"creating the project venv in {layout.VENV} ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(layout.VENV)], check=True)
    if subprocess.run([str(python), "-c", "import MySQLdb"], capture_output=True, check=False).returncode != 0:
        subprocess.run([str(layout.VENV / "bin" / "pip"), "install", "-q", "-e", ".[test,mysqlclient]"],
                       cwd=layout.REPO, check=True)
    missing = [r.script for r in EMBER_TABLE if not (layout.VENV / "bin" / r.script).exists()]
    if not (layout.VENV / "bin" / "ember-manage").exists():
        missing.append("ember-manage")
    if missing:
        raise LaunchError(f"console scripts {missing} are missing from {layout.VENV}/bin; "
                          f"run: {layout.VENV}/bin/pip install -e '{layout.REPO}[test]'")


def db_sync(state: Path) -> None:
    log = state / "ember" / "manage.log"
    with open(log, "ab") as out:
        result = subprocess.run([str(layout.VENV / "bin" / "ember-manage"), "--config-file",
                                 str(common_conf(state)), "db", "sync"], stdout=out, stderr=subprocess.STDOUT,
                                timeout=300, check=False)
    if result.returncode != 0:
        raise LaunchError(f"ember-manage db sync failed (rc {result.returncode})\n--- last lines of {log}:\n"
                          f"{tail(log)}")
