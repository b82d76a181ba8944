"""RabbitMQ nodes rabbit-1..3 (rabbit2..4@localhost): own HOME and Erlang cookie, own ports.

The own cookie is what keeps rabbitmqctl here from ever reaching the machine's rabbit@<host>.
A fresh node 2 or 3 joins node 1 once; after that a restarted node rejoins by itself.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
from pathlib import Path

from localcluster import layout, probes
from localcluster.component import Component
from localcluster.procs import LaunchError, spawn, stop_group, wait_until

RABBITMQ_CONF = """\
# Written by deploy/local-cluster.
listeners.tcp.default = 127.0.0.1:{port}
# guest may log in over loopback addresses other than "localhost" too
loopback_users = none
vm_memory_high_watermark.absolute = 512MiB
disk_free_limit.absolute = 50MB
cluster_partition_handling = pause_minority
"""


class RabbitNode(Component):
    group = "rabbit"
    start_timeout_s = 90.0

    def __init__(self, state: Path, i: int) -> None:
        super().__init__(state, f"rabbit-{i}", layout.rabbit_amqp_port(i))
        self.i = i
        self.node = layout.rabbit_node(i)

    @property
    def home(self) -> Path:
        return self.state / self.group / "home"

    @property
    def mnesia(self) -> Path:
        return self.dir / "mnesia"

    def logs(self) -> list[Path]:
        return [self.dir / "log" / f"{self.node}.log", self.log]

    def ports(self) -> list[int]:
        return [layout.rabbit_amqp_port(self.i), layout.rabbit_dist_port(self.i)]

    def env(self) -> dict[str, str]:
        d = self.dir
        env = {k: v for k, v in os.environ.items() if not k.startswith(("RABBITMQ_", "ERL_"))}
        env.update({
            "HOME": str(self.home),
            "RABBITMQ_CONF_ENV_FILE": str(d / "rabbitmq-env.conf"),
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(layout.rabbit_amqp_port(self.i)),
            "RABBITMQ_DIST_PORT": str(layout.rabbit_dist_port(self.i)),
            "RABBITMQ_MNESIA_BASE": str(self.mnesia),
            "RABBITMQ_LOG_BASE": str(d / "log"),
            "RABBITMQ_PID_FILE": str(d / "rabbit.pid"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.home.parent / "enabled_plugins"),
            "RABBITMQ_CONFIG_FILE": str(d / "rabbitmq.conf"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(d / "advanced.config"),
        })
        return env

    def fresh(self) -> bool:
        return not self.mnesia.exists() or not any(self.mnesia.iterdir())

    def prepare(self) -> None:
        super().prepare()
        self.home.mkdir(parents=True, exist_ok=True)
        cookie = self.home / ".erlang.cookie"
        if not cookie.exists():
            cookie.write_text(secrets.token_hex(20).upper())
            cookie.chmod(0o400)
        plugins = self.home.parent / "enabled_plugins"
        if not plugins.exists():
            plugins.write_text("[].\n")
        for sub in ("mnesia", "log"):
            (self.dir / sub).mkdir(exist_ok=True)
        (self.dir / "rabbitmq-env.conf").touch()
        (self.dir / "rabbitmq.conf").write_text(RABBITMQ_CONF.format(port=self.port))
        env_sh = "".join(f"export {k}={v}\n" for k, v in self.env().items() if k == "HOME" or
                         k.startswith("RABBITMQ_"))
        (self.dir / "env.sh").write_text(env_sh)

    def launch(self) -> None:
        spawn([str(layout.RABBIT_BIN / "rabbitmq-server")], pidfile=self.pidfile, log=self.log, env=self.env(),
              cwd=self.dir)

    def ctl(self, *args: str, timeout_s: float = 60.0) -> subprocess.CompletedProcess[str]:
        argv = [str(layout.RABBIT_BIN / "rabbitmqctl"), "-n", self.node, *args]
        try:
            return subprocess.run(argv, env=self.env(), capture_output=True, text=True, timeout=timeout_s,
                                  check=False)
        except subprocess.TimeoutExpired:
            return subprocess.CompletedProcess(argv, 124, "", f"timed out after {timeout_s}s")

    def main_pid(self) -> int | None:
        record = self.record()
        if record is None:
            return None
        beams = [m.pid for m in record.members() if m.comm.startswith("beam")]
        return beams[0] if beams else None

    def probe(self) -> tuple[bool, str]:
        ok = probes.amqp_ping(layout.rabbit_amqp_port(self.i))
        return ok, self.node if ok else f"{self.node} not accepting AMQP"

    def wait_ready(self, timeout_s: float | None = None) -> float:
        took = super().wait_ready(timeout_s)
        # the AMQP greeting is the cheap poll; await_startup confirms the boot really finished
        result = self.ctl("-q", "await_startup", "--timeout", "60", timeout_s=90)
        if result.returncode != 0:
            raise LaunchError(self.failure(f"await_startup failed: {result.stderr.strip()}"))
        return took

    def clustered_with(self, seed: RabbitNode) -> bool:
        result = self.ctl("cluster_status", "--formatter", "json")
        try:
            return result.returncode == 0 and seed.node in json.loads(result.stdout).get("disk_nodes", [])
        except ValueError:
            return False

    def join(self, seed: RabbitNode) -> None:
        for args in (("stop_app",), ("join_cluster", seed.node), ("start_app",)):
            result = self.ctl("-q", *args)
            if result.returncode != 0:
                raise LaunchError(self.failure(f"rabbitmqctl {' '.join(args)} failed: "
                                               f"{result.stdout.strip()} {result.stderr.strip()}"))
        (self.dir / "joined").write_text(seed.node + "\n")

    def stop(self) -> None:
        record = self.record()
        if record is None or not record.alive():
            return
        self.ctl("-q", "stop", timeout_s=60)
        if not wait_until(lambda: not record.alive(), timeout_s=15, interval_s=0.2):
            stop_group(record, grace_s=10)
