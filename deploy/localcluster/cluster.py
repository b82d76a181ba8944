"""The whole local cluster: start order, bootstrap and join rules, stop order, status and env.

Start order: galera (first node bootstraps, then the others join), rabbit (all boot, new nodes
join the first), etcd, haproxy, keystone (with ``--auth keystone``), then the ember table. ``down``
goes the other way.
"""

from __future__ import annotations

import fcntl
import json
import shlex
import shutil
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from localcluster import ember, layout
from localcluster.backends import BackendStorage
from localcluster.component import Component
from localcluster.etcd import EtcdMember
from localcluster.galera import GaleraNode, choose_bootstrap, setup_database
from localcluster.haproxy import HAProxy
from localcluster.keystone import Keystone, cluster_keystone
from localcluster.procs import LaunchError, wait_until
from localcluster.rabbit import RabbitNode
from localcluster.sqladmin import MariaDBAdmin


def in_parallel(calls: list[Callable[[], object]]) -> None:
    """Run the calls on threads; re-raise the first failure once all have finished."""
    if not calls:
        return
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        futures = [pool.submit(call) for call in calls]
    for future in futures:
        future.result()


@contextmanager
def step(what: str) -> Iterator[None]:
    began = time.monotonic()
    print(f"{what} ...", flush=True)
    yield
    print(f"{what}: done in {time.monotonic() - began:.1f}s", flush=True)


class Cluster:
    def __init__(self, state: Path) -> None:
        self.state = state
        self.settings = layout.Settings.load(state)
        self.galera = [GaleraNode(state, i) for i in layout.NODES]
        self.rabbit = [RabbitNode(state, i) for i in layout.NODES]
        self.etcd = [EtcdMember(state, i) for i in layout.NODES]
        self.haproxy = HAProxy(state)
        keystone = cluster_keystone(state)
        # one still running after a switch to noauth stays listed, so that `up` and `down` stop it
        self.keystone: Keystone | None = (keystone if self.settings.auth == "keystone" or keystone.alive()
                                          else None)
        # what an earlier `up` started stays listed (so `down` stops it) even if this one did not ask
        started = ember.started_backends(state)
        backends = self.settings.volume_backends + [b for b in started if b not in self.settings.volume_backends]
        ember_ran = self.settings.ember or any((state / "ember").glob("*/pid"))
        self.ember = ember.processes(state, backends) if ember_ran else []
        self.storage = BackendStorage(state, backends if ember_ran else [])

    def components(self) -> list[Component]:
        identity = [self.keystone] if self.keystone is not None else []
        return [*self.galera, *self.rabbit, *self.etcd, self.haproxy, *identity, *self.storage.components,
                *self.ember]

    def find(self, name: str) -> Component:
        for comp in self.components():
            if comp.name == name:
                return comp
        names = ", ".join(c.name for c in self.components())
        raise LaunchError(f"no component {name!r}; known: {names}")

    @contextmanager
    def lock(self) -> Iterator[None]:
        self.state.mkdir(parents=True, exist_ok=True)
        with open(self.state / ".lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield

    # --- up ---------------------------------------------------------------------------------------

    def up(self) -> None:
        began = time.monotonic()
        already = [c.name for c in self.components() if c.alive()]
        if already:
            print(f"already running (kept): {', '.join(already)}", flush=True)
        with step("galera (3 nodes)"):
            self.up_galera()
        with step("rabbitmq (3 nodes)"):
            self.up_rabbit()
        with step("etcd (3 members)"):
            in_parallel([m.start for m in self.etcd])
        with step("haproxy"):
            self.haproxy.start()
        if self.keystone is not None and self.settings.auth == "keystone":
            with step("keystone"):
                self.up_keystone(self.keystone)
        elif self.keystone is not None:
            with step("keystone (stopped: auth is noauth now)"):
                self.keystone.stop()
        if self.storage.components:
            with step("storage (" + ", ".join(c.name for c in self.storage.components) + ")"):
                self.storage.up()
        if self.ember:
            with step(f"ember ({len(self.ember)} processes)"):
                self.up_ember()
        print(f"local cluster up in {time.monotonic() - began:.1f}s (state {self.state})")

    def up_galera(self) -> None:
        down = [n for n in self.galera if not n.alive()]
        for node in down:
            node.prepare()
            node.check_ports_free()
        if len(down) == len(self.galera):
            if not any(n.initialized() for n in self.galera):
                self.galera[0].install()
                boot = self.galera[0]
            else:
                boot = choose_bootstrap(self.galera)
            boot.launch(bootstrap=True)
            boot.wait_ready()
            print(f"  {boot.name} bootstrapped the cluster", flush=True)
            down.remove(boot)
        for node in self.galera:
            if node in down:
                node.launch()
            took = node.wait_ready()
            if node in down:
                print(f"  {node.name} joined in {took:.1f}s", flush=True)
        setup_database(self.galera[0] if self.galera[0].healthy() else next(n for n in self.galera
                                                                            if n.healthy()))

    def up_keystone(self, keystone: Keystone) -> None:
        """Its database on Galera (made as root over a node's socket), bootstrap, uWSGI, then ember's
        endpoints at HAProxy's api address and the personas' openrc files."""
        if not keystone.alive():
            node = next((n for n in self.galera if n.healthy()), None)
            if node is None:
                raise LaunchError("keystone: no galera node is healthy to create its database on")
            keystone.setup(MariaDBAdmin.defaults_file(node.cnf))
        keystone.start()
        keystone.register(f"http://127.0.0.1:{layout.HAPROXY_API_PORT}")
        print(f"  {keystone.url}; openrc files and clouds.yaml in {keystone.dir}", flush=True)

    def up_rabbit(self) -> None:
        down = [n for n in self.rabbit if not n.alive()]
        for node in down:
            node.prepare()
            node.check_ports_free()
            node.launch()
        in_parallel([n.wait_ready for n in self.rabbit])
        seed = self.rabbit[0]
        for node in self.rabbit[1:]:
            if not (node.dir / "joined").exists() and not node.clustered_with(seed):
                node.join(seed)
                print(f"  {node.name} joined {seed.node}", flush=True)

    def write_ember_conf(self) -> None:
        """ember.conf for the current settings: with --auth keystone, [keystone_authtoken] of the cluster's
        Keystone (its service user is made by ``up_keystone``)."""
        keystone = self.keystone if self.settings.auth == "keystone" else None
        ember.write_common_conf(self.state, self.settings.volume_backends, self.settings.coordination,
                                keystone=keystone.authtoken_options() if keystone is not None else None)

    def up_ember(self) -> None:
        ember.ensure_venv()
        conf = ember.common_conf(self.state)
        before = conf.read_text() if conf.exists() else None
        self.write_ember_conf()
        ember.db_sync(self.state)
        wanted = {p.name for p in ember.processes(self.state, self.settings.volume_backends)}
        procs = [p for p in self.ember if p.name in wanted]
        if before is not None and before != conf.read_text():
            # e.g. --auth changed: running processes restart one at a time onto the new ember.conf
            for proc in (p for p in procs if p.alive()):
                print(f"  {proc.name} restarts: ember.conf changed", flush=True)
                proc.stop()
                proc.start()
        for proc in procs:
            if not proc.alive():
                proc.prepare()
                proc.check_ports_free()
                proc.launch()
        in_parallel([p.wait_ready for p in procs])
        self.wait_api_behind_haproxy()
        self.wait_pools_reported()

    def wait_pools_reported(self, timeout_s: float = 30.0) -> None:
        """A volume service is healthy at its first heartbeat; its backend takes volumes once the active
        has reported its pools (a create sent in between ends in error: no valid backend)."""
        backends = self.settings.volume_backends
        if not wait_until(lambda: all(ember.pools_reported(b) for b in backends), timeout_s=timeout_s):
            missing = [b for b in backends if not ember.pools_reported(b)]
            raise LaunchError(f"no pools reported by the active volume service of {missing} in {timeout_s:.0f}s")

    def wait_api_behind_haproxy(self, names: list[str] | None = None, timeout_s: float = 20.0) -> None:
        api = names if names is not None else [p.name for p in self.ember if p.port is not None]

        def all_up() -> bool:
            states = self.haproxy.server_states()
            return all(states.get(f"ember_api/{name}") == "UP" for name in api)

        if not wait_until(all_up, timeout_s=timeout_s):
            raise LaunchError(f"haproxy does not see {api} as UP: {self.haproxy.server_states()}")

    # --- one component ----------------------------------------------------------------------------

    def start_one(self, name: str) -> None:
        comp = self.find(name)
        began = time.monotonic()
        if comp.alive():
            comp.wait_ready()
            print(f"{name} is already running")
            return
        if isinstance(comp, GaleraNode):
            self.start_galera_node(comp)
        elif isinstance(comp, RabbitNode):
            fresh = comp.fresh()
            comp.start()
            if fresh and comp is not self.rabbit[0]:
                comp.join(self.rabbit[0])
        elif isinstance(comp, EtcdMember) and not any(m.alive() for m in self.etcd if m is not comp):
            comp.prepare()
            comp.check_ports_free()
            comp.launch()
            print(f"{name} launched; it is healthy once a second member runs (start another etcd member)")
            return
        else:
            if isinstance(comp, ember.EmberProcess):
                self.write_ember_conf()
            comp.start()
            if isinstance(comp, ember.EmberProcess) and comp.port is not None and self.haproxy.alive():
                self.wait_api_behind_haproxy([comp.name])
        print(f"{name} up in {time.monotonic() - began:.1f}s")

    def start_galera_node(self, node: GaleraNode) -> None:
        node.prepare()
        node.check_ports_free()
        # a live peer that is only reforming its view is not Synced yet: never bootstrap beside it
        others = [n for n in self.galera if n is not node and n.alive()]
        if others:
            node.launch()
        elif not node.initialized():
            raise LaunchError(f"{node.name} has no data and no other node runs; use `up` to create the cluster")
        else:
            print(f"  no other galera node runs: {node.name} bootstraps a new primary component", flush=True)
            node.allow_bootstrap()
            node.launch(bootstrap=True)
        node.wait_ready()

    def kill_one(self, name: str) -> None:
        comp = self.find(name)
        record = comp.record()
        if record is None or not record.alive():
            print(f"{name} is not running")
            return
        pid = comp.main_pid()
        comp.kill()
        print(f"{name} killed (SIGKILL to process group {record.pid}, main pid {pid})")

    # --- down -------------------------------------------------------------------------------------

    def signal_one(self, name: str, sig: int) -> None:
        """SIGSTOP (pause) or SIGCONT (resume) one component's process group."""
        comp = self.find(name)
        record = comp.record()
        if record is None or not record.alive():
            raise LaunchError(f"{name} is not running")
        record.signal_group(sig)

    def set_coordination(self, kind: str) -> None:
        """Elect each backend's active through ``kind`` from now on: rewrite ember.conf, restart the volume
        services one at a time (the other of each pair keeps the backend served meanwhile)."""
        self.settings.coordination = kind
        self.settings.save(self.state)
        self.write_ember_conf()
        for proc in (p for p in self.ember if p.script == ember.VOLUME_SCRIPT):
            proc.stop()
            proc.start()
        print(f"volume services elect through {kind} ({layout.coordination_url(kind)})")

    def down(self, *, wipe: bool = False) -> None:
        began = time.monotonic()
        with step("ember"):
            in_parallel([p.stop for p in self.ember])
        if self.keystone is not None:
            with step("keystone"):
                self.keystone.stop()
        if self.storage.components:
            with step("storage"):
                self.storage.down(wipe=wipe)
        with step("haproxy"):
            self.haproxy.stop()
        with step("etcd"):
            # one at a time, leader first: members stopped together wait seconds for a leader handover
            for member in sorted(self.etcd, key=lambda m: not m.is_leader()):
                member.stop()
        with step("rabbitmq"):
            # rabbit-1 goes last, so it is the node that may boot alone next time
            in_parallel([n.stop for n in self.rabbit[1:]])
            self.rabbit[0].stop()
        with step("galera"):
            # galera-1 goes last and is left with safe_to_bootstrap: 1
            in_parallel([n.stop for n in self.galera[1:]])
            self.galera[0].stop()
        left = [c.name for c in self.components() if c.alive()]
        if left:
            raise LaunchError(f"still running after down: {left}")
        print(f"local cluster down in {time.monotonic() - began:.1f}s")

    def wipe(self) -> None:
        shutil.rmtree(self.state)
        print(f"removed {self.state}")

    # --- reporting --------------------------------------------------------------------------------

    def status(self) -> list[dict[str, object]]:
        def row(comp: Component) -> dict[str, object]:
            record = comp.record()
            alive = record is not None and record.alive()
            ok, detail = comp.probe() if alive else (False, "")
            return {"name": comp.name, "pid": comp.main_pid(), "port": comp.port, "up": alive and ok,
                    "detail": detail, "pgid": record.pid if record is not None and alive else None}

        comps = self.components()
        with ThreadPoolExecutor(max_workers=8) as pool:
            return list(pool.map(row, comps))

    def wait_healthy(self, timeout_s: float) -> list[str]:
        """Names still unhealthy after ``timeout_s`` (empty when all are healthy)."""
        comps = self.components()
        wait_until(lambda: all(c.healthy() for c in comps), timeout_s=timeout_s, interval_s=0.5)
        return [c.name for c in comps if not c.healthy()]

    def env(self) -> dict[str, str]:
        values = {
            "EMBER_CLUSTER_STATE": str(self.state),
            "EMBER_ENDPOINT": layout.endpoint(),
            "EMBER_CONFIG": str(ember.common_conf(self.state)),
            "EMBER_DB_URL": layout.db_url(),
            "EMBER_TRANSPORT_URL": layout.transport_url(),
            "EMBER_COORDINATION_URL": layout.coordination_url(self.settings.coordination),
            "EMBER_ETCD_ENDPOINTS": ",".join(f"127.0.0.1:{m.port}" for m in self.etcd),
            "EMBER_HAPROXY_STATS": f"http://127.0.0.1:{layout.HAPROXY_STATS_PORT}/",
        }
        for i in layout.NODES:
            values[f"EMBER_DB_URL_{i}"] = layout.db_url(layout.galera_sql_port(i))
        for rabbit in self.rabbit:
            values[f"EMBER_RABBIT_ENV_{rabbit.i}"] = str(rabbit.dir / "env.sh")
        if self.keystone is not None:
            values["EMBER_KEYSTONE_URL"] = self.keystone.url
            values["EMBER_OPENRC_DIR"] = str(self.keystone.dir)
            values["EMBER_CLOUDS_YAML"] = str(self.keystone.clouds_yaml)
        return values


def format_env(values: dict[str, str]) -> str:
    return "".join(f"export {k}={shlex.quote(v)}\n" for k, v in values.items())


def format_status(rows: list[dict[str, object]]) -> str:
    lines = [f"{'NAME':<16} {'PID':>8} {'PORT':>6}  {'STATE':<5} DETAIL"]
    for r in rows:
        pid = r["pid"] if r["pid"] is not None else "-"
        port = r["port"] if r["port"] is not None else "-"
        lines.append(f"{r['name']!s:<16} {pid!s:>8} {port!s:>6}  {'up' if r['up'] else 'down':<5} {r['detail']}")
    return "\n".join(lines)


def format_status_json(rows: list[dict[str, object]]) -> str:
    return json.dumps(rows, indent=2)
