"""HAProxy: the api frontend (8776) over the ember-api processes, the Galera frontend (3316), stats (8080)."""

from __future__ import annotations

import csv
import io
import subprocess
from pathlib import Path
from string import Template

from localcluster import layout, probes
from localcluster.component import Component
from localcluster.procs import LaunchError, spawn

HERE = Path(__file__).resolve().parent


class HAProxy(Component):
    group = "haproxy"
    start_timeout_s = 15.0
    stop_grace_s = 10.0

    def __init__(self, state: Path) -> None:
        super().__init__(state, "haproxy", layout.HAPROXY_API_PORT)

    @property
    def cfg(self) -> Path:
        return self.dir / "haproxy.cfg"

    def ports(self) -> list[int]:
        return [layout.HAPROXY_API_PORT, layout.HAPROXY_GALERA_PORT, layout.HAPROXY_STATS_PORT]

    def prepare(self) -> None:
        super().prepare()
        api = "\n".join(f"    server api-{i} 127.0.0.1:{layout.api_port(i)} check"
                        for i in range(1, layout.API_COUNT + 1))
        galera = "\n".join(f"    server galera-{i} 127.0.0.1:{layout.galera_sql_port(i)} check"
                           + ("" if i == 1 else " backup") for i in layout.NODES)
        text = Template((HERE / "haproxy.cfg.in").read_text()).substitute(
            dir=self.dir, api_port=layout.HAPROXY_API_PORT, galera_port=layout.HAPROXY_GALERA_PORT,
            stats_port=layout.HAPROXY_STATS_PORT, check=HERE / "galera-check", api_servers=api,
            galera_servers=galera)
        self.cfg.write_text(text)
        result = subprocess.run(["haproxy", "-c", "-q", "-f", str(self.cfg)], capture_output=True, text=True,
                                check=False)
        if result.returncode != 0:
            raise LaunchError(f"haproxy: {self.cfg} is invalid:\n{result.stdout}{result.stderr}")

    def launch(self) -> None:
        spawn(["haproxy", "-f", str(self.cfg), "-db"], pidfile=self.pidfile, log=self.log)

    def probe(self) -> tuple[bool, str]:
        down = [p for p in self.ports() if not probes.tcp_open(p)]
        if down:
            return False, f"port(s) {down} closed"
        return True, " ".join(f"{srv}={st}" for srv, st in self.server_states().items())

    def server_states(self) -> dict[str, str]:
        """"backend/server" -> UP, DOWN, ... from the stats page."""
        status, body = probes.http_get(f"http://127.0.0.1:{layout.HAPROXY_STATS_PORT}/;csv", timeout_s=1.0)
        if status != 200:
            return {}
        rows = csv.DictReader(io.StringIO(body.lstrip("# ")))
        return {f"{r['pxname']}/{r['svname']}": r["status"] for r in rows
                if r.get("svname") not in ("FRONTEND", "BACKEND") and r.get("pxname") != "stats"}
