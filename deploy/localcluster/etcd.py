"""etcd members etcd-1..3; a restarted member reuses its data dir and ignores the --initial-* flags."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

from localcluster import layout, probes
from localcluster.component import Component
from localcluster.procs import spawn


def initial_cluster() -> str:
    return ",".join(f"etcd-{i}=http://127.0.0.1:{layout.etcd_peer_port(i)}" for i in layout.NODES)


class EtcdMember(Component):
    group = "etcd"
    start_timeout_s = 30.0
    stop_grace_s = 10.0

    def __init__(self, state: Path, i: int) -> None:
        super().__init__(state, f"etcd-{i}", layout.etcd_client_port(i))
        self.i = i

    def ports(self) -> list[int]:
        return [layout.etcd_client_port(self.i), layout.etcd_peer_port(self.i)]

    def launch(self) -> None:
        client = f"http://127.0.0.1:{layout.etcd_client_port(self.i)}"
        peer = f"http://127.0.0.1:{layout.etcd_peer_port(self.i)}"
        spawn(["etcd", "--name", self.name, "--data-dir", str(self.dir / "data"),
               "--listen-client-urls", client, "--advertise-client-urls", client,
               "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
               "--initial-cluster", initial_cluster(), "--initial-cluster-token", "ember-local-etcd",
               "--initial-cluster-state", "new", "--heartbeat-interval", "100", "--election-timeout", "500"],
              pidfile=self.pidfile, log=self.log)

    def probe(self) -> tuple[bool, str]:
        status, body = probes.http_get(f"http://127.0.0.1:{self.port}/health", timeout_s=1.0)
        try:
            healthy = status == 200 and json.loads(body).get("health") == "true"
        except ValueError:
            healthy = False
        return healthy, "healthy" if healthy else f"/health answered {status or 'nothing'}"

    def is_leader(self) -> bool:
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}/v3/maintenance/status", data=b"{}",
                                         method="POST")
        try:
            with urllib.request.urlopen(request, timeout=1.0) as resp:
                status = json.loads(resp.read())
        except (OSError, ValueError):
            return False
        return str(status.get("leader")) == str(status.get("header", {}).get("member_id"))
