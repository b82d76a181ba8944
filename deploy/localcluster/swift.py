"""A one-node OpenStack Swift on loopback (tempauth + s3api), a backup store for tests, bench and the cluster.

Debian's swift-* packages (deploy/install-packages), run from a private folder: its own swift.conf
(read through a wrapper, since Swift hard-codes /etc/swift/swift.conf), rings of one replica on one
folder "device", its own memcached (tempauth needs it). Swift API: ``auth_url`` with user
``test:tester`` / key ``testing``; S3 API (SigV4, path style): ``endpoint`` with the same pair.
Usage: ``python3 deploy/localcluster/swift.py start|stop|status DIR [BASE_PORT]``.
"""

from __future__ import annotations

import os
import pwd
import secrets
import subprocess
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make ``localcluster`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from localcluster import probes
from localcluster.component import Component
from localcluster.procs import spawn

SWIFT_PYTHON = "/usr/bin/python3"  # Debian's python3-swift lives in the system interpreter
SWIFT_BIN = "/usr/bin"
USER, KEY = "test:tester", "testing"
_SERVERS = ("account", "container", "object")

_WRAPPER = """import os, runpy, sys
import swift.common.utils as utils
utils.set_swift_dir(os.environ["SWIFT_DIR"])  # swift.conf (hash suffix, policies) from our folder
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""

_RINGS = """import sys
from swift.common.ring import RingBuilder
etc = sys.argv[1]
for name, port in zip(("account", "container", "object"), sys.argv[2:5]):
    builder = RingBuilder(10, 1, 1)
    builder.add_dev({"region": 1, "zone": 1, "ip": "127.0.0.1", "port": int(port), "device": "d1", "weight": 100})
    builder.rebalance()
    builder.save(f"{etc}/{name}.builder")
    builder.get_ring().save(f"{etc}/{name}.ring.gz")
"""

_PROXY_FILTERS = ("catch_errors", "gatekeeper", "healthcheck", "listing_formats", "bulk", "copy", "slo", "dlo",
                  "versioned_writes")


class Memcached(Component):
    group = "swift"
    start_timeout_s = 10.0

    def launch(self) -> None:
        user = ["-u", "memcache"] if _is_root() else []
        spawn(["memcached", *user, "-l", "127.0.0.1", "-p", str(self.port), "-U", "0", "-m", "64"],
              pidfile=self.pidfile, log=self.log)


class SwiftServer(Component):
    """One swift-<kind>-server (it forks one worker) under the private swift.conf."""

    group = "swift"
    start_timeout_s = 30.0
    stop_grace_s = 10.0

    def __init__(self, state: Path, kind: str, port: int, etc: Path) -> None:
        super().__init__(state, f"swift-{kind}", port)
        self.kind = kind
        self.etc = etc

    def launch(self) -> None:
        spawn([SWIFT_PYTHON, str(self.etc / "swift-run.py"), f"{SWIFT_BIN}/swift-{self.kind}-server",
               str(self.etc / f"{self.kind}-server.conf"), "-v"], pidfile=self.pidfile, log=self.log,
              env={"SWIFT_DIR": str(self.etc), "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"})

    def probe(self) -> tuple[bool, str]:
        if self.kind != "proxy":
            return super().probe()
        status, _ = probes.http_get(f"http://127.0.0.1:{self.port}/healthcheck")
        return status == 200, f"healthcheck {status}"


def _is_root() -> bool:
    return os.getuid() == 0


class SwiftStore:
    """The whole one-node Swift under ``state/swift``: proxy on ``base_port``, the rest on nearby ports."""

    def __init__(self, state: Path, *, proxy_port: int = 18080, object_port: int = 16200,
                 memcached_port: int = 21211) -> None:
        self.state = state
        self.dir = state / "swift"
        self.etc = self.dir / "etc"
        self.devices = self.dir / "srv"
        self.proxy_port = proxy_port
        self.ports = {"object": object_port, "container": object_port + 1, "account": object_port + 2,
                      "proxy": proxy_port}
        self.memcached = Memcached(state, "memcached", memcached_port)
        self.servers = [SwiftServer(state, kind, self.ports[kind], self.etc) for kind in (*_SERVERS, "proxy")]

    @property
    def components(self) -> list[Component]:
        return [self.memcached, *self.servers]

    @property
    def auth_url(self) -> str:
        return f"http://127.0.0.1:{self.proxy_port}/auth/v1.0"

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.proxy_port}"

    def prepare(self) -> None:
        self.etc.mkdir(parents=True, exist_ok=True)
        (self.devices / "d1").mkdir(parents=True, exist_ok=True)
        (self.etc / "swift-run.py").write_text(_WRAPPER)
        conf = self.etc / "swift.conf"
        if not conf.exists():  # the hash suffix must stay fixed for the life of the data
            conf.write_text(f"[swift-hash]\nswift_hash_path_suffix = {secrets.token_hex(8)}\n\n"
                            "[storage-policy:0]\nname = gold\ndefault = yes\n")
        user = "root" if _is_root() else _whoami()
        common = f"bind_ip = 127.0.0.1\nworkers = 1\nuser = {user}\nswift_dir = {self.etc}\n"
        for kind in _SERVERS:
            (self.etc / f"{kind}-server.conf").write_text(
                f"[DEFAULT]\n{common}bind_port = {self.ports[kind]}\ndevices = {self.devices}\nmount_check = false\n"
                f"log_name = {kind}-server\n\n[pipeline:main]\npipeline = {kind}-server\n\n"
                f"[app:{kind}-server]\nuse = egg:swift#{kind}\n" + ("\n[container-updater]\n" if kind == "container"
                                                                    else ""))
        filters = "".join(f"\n[filter:{f}]\nuse = egg:swift#{f}\n" for f in _PROXY_FILTERS)
        (self.etc / "proxy-server.conf").write_text(
            f"[DEFAULT]\n{common}bind_port = {self.proxy_port}\nlog_name = proxy-server\n\n[pipeline:main]\n"
            "pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats bulk s3api tempauth "
            "copy slo dlo versioned_writes proxy-logging proxy-server\n\n"
            "[app:proxy-server]\nuse = egg:swift#proxy\naccount_autocreate = true\nallow_account_management = true\n\n"
            "[filter:s3api]\nuse = egg:swift#s3api\nlocation = us-east-1\n\n"
            "[filter:tempauth]\nuse = egg:swift#tempauth\nuser_admin_admin = admin .admin .reseller_admin\n"
            f"user_test_tester = {KEY} .admin\n\n"
            f"[filter:cache]\nuse = egg:swift#memcache\nmemcache_servers = 127.0.0.1:{self.memcached.port}\n\n"
            "[filter:proxy-logging]\nuse = egg:swift#proxy_logging\n" + filters)
        if not (self.etc / "object.ring.gz").exists():
            subprocess.run([SWIFT_PYTHON, "-c", _RINGS, str(self.etc), *(str(self.ports[k]) for k in _SERVERS)],
                           check=True, capture_output=True, env={"SWIFT_DIR": str(self.etc), "PATH": "/usr/bin:/bin"})

    def start(self) -> None:
        self.prepare()
        self.memcached.start()
        for server in self.servers:
            if not server.alive():
                server.prepare()
                server.check_ports_free()
                server.launch()
        for server in self.servers:
            server.wait_ready()

    def stop(self) -> None:
        for component in reversed(self.components):
            component.stop()

    def healthy(self) -> bool:
        return all(c.healthy() for c in self.components)


def _whoami() -> str:
    return pwd.getpwuid(os.getuid()).pw_name


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] not in ("start", "stop", "status"):
        print(__doc__, file=sys.stderr)
        return 2
    port = int(argv[2]) if len(argv) > 2 else 18080
    swift = SwiftStore(Path(argv[1]).resolve(), proxy_port=port, object_port=port - 1880,
                       memcached_port=port + 3131)
    if argv[0] == "start":
        swift.start()
        print(f"swift up: {swift.auth_url} (user {USER}, key {KEY}); s3 {swift.endpoint}")
    elif argv[0] == "stop":
        swift.stop()
    else:
        print("healthy" if swift.healthy() else "not healthy")
        return 0 if swift.healthy() else 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
