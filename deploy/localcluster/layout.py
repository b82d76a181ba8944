"""Ports, binaries and the state-folder settings every component of the local cluster shares.

The ports avoid the machine's own MariaDB (3306) and RabbitMQ (5672/25672), so both keep running.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEFAULT_STATE = REPO / ".state" / "local-cluster"
VENV = REPO / ".venv"

NODES = (1, 2, 3)


def galera_sql_port(i: int) -> int:
    return 3306 + i


def galera_gcomm_port(i: int) -> int:
    return 4566 + i


def galera_ist_port(i: int) -> int:
    return 4576 + i


def galera_sst_port(i: int) -> int:
    return 4446 + i


def rabbit_node(i: int) -> str:
    # rabbit-1 is rabbit2@localhost: "rabbit@<host>" belongs to the machine's own broker
    return f"rabbit{i + 1}@localhost"


def rabbit_amqp_port(i: int) -> int:
    return 5672 + i


def rabbit_dist_port(i: int) -> int:
    return 25672 + i


def etcd_client_port(i: int) -> int:
    return 2377 + 2 * i


def etcd_peer_port(i: int) -> int:
    return 2378 + 2 * i


def api_port(i: int) -> int:
    return 9100 + i


HAPROXY_API_PORT = 8776
HAPROXY_GALERA_PORT = 3316
HAPROXY_STATS_PORT = 8080
API_COUNT = 2
SCHEDULER_COUNT = 2
BACKUP_COUNT = 2  # active/active: each takes backup work while it has slots, and a dead one's is taken over

DB_USER = "ember"
DB_PASSWORD = "ember"
DB_NAME = "ember"
RABBIT_USER = "guest"
RABBIT_PASSWORD = "guest"

GALERA_PROVIDER = "/usr/lib/galera/libgalera_smm.so"
RABBIT_BIN = Path("/usr/lib/rabbitmq/bin")

# binary -> Debian package that ships it
REQUIRED_BINARIES: dict[str, str] = {
    "/usr/sbin/mariadbd": "mariadb-server",
    "mariadb": "mariadb-client",
    "mariadb-install-db": "mariadb-server",
    GALERA_PROVIDER: "galera-4",
    "wsrep_sst_rsync": "mariadb-server",
    "rsync": "rsync",
    str(RABBIT_BIN / "rabbitmq-server"): "rabbitmq-server",
    str(RABBIT_BIN / "rabbitmqctl"): "rabbitmq-server",
    "etcd": "etcd-server",
    "haproxy": "haproxy",
    "/usr/include/mariadb/mysql.h": "libmariadb-dev",  # to build mysqlclient, ember's MariaDB driver
    "tgtd": "tgt",
    "lvcreate": "lvm2",
    "ganesha.nfsd": "nfs-ganesha",
    "rpcbind": "rpcbind",
    "qemu-img": "qemu-utils",
}
INSTALL_PACKAGES = REPO / "deploy" / "install-packages"


def missing_binaries() -> list[str]:
    missing = []
    for binary in REQUIRED_BINARIES:
        found: object
        if binary.startswith(("/usr/lib/galera", "/usr/include")):  # files, not programs
            found = os.path.exists(binary)
        else:
            found = os.access(binary, os.X_OK) if binary.startswith("/") else shutil.which(binary)
        if not found:
            missing.append(binary)
    return missing


def transport_url() -> str:
    hosts = ",".join(f"{RABBIT_USER}:{RABBIT_PASSWORD}@127.0.0.1:{rabbit_amqp_port(i)}" for i in NODES)
    return f"rabbit://{hosts}/"


def db_url(port: int = HAPROXY_GALERA_PORT) -> str:
    return f"mysql+mysqldb://{DB_USER}:{DB_PASSWORD}@127.0.0.1:{port}/{DB_NAME}"


# the storage behind the lvm and nfs backends (ganesha and rpcbind are one per machine: NFSv3's
# program numbers are registered once, so its ports are the standard ones)
TGT_PORT = 3262
TGT_CONTROL_PORT = 5
NFS_PORT = 2049
NFS_MOUNT_PORT = 20048
LVM_IMAGE_GB = 20  # a sparse file: only what volumes write takes disk space
DRIVERS = ("file", "lvm", "nfs")
DEFAULT_BACKENDS = ["lvm-1", "nfs-1"]


def driver_of(backend: str) -> str:
    return backend.rsplit("-", 1)[0]


COORDINATIONS = ("sql", "etcd")
# how ember's API authenticates: "noauth" (its own tokens) or a real Keystone next to the cluster
AUTHS = ("noauth", "keystone")
KEYSTONE_PORT = 5000
KEYSTONE_DB_NAME = "keystone"
KEYSTONE_DB_USER = "keystone"
KEYSTONE_DB_PASSWORD = "keystone"
BACKEND_HOST = "cluster"  # the host part every volume service of a backend shares: cluster@<backend>
VOLUME_NODES = ("a", "b")  # two volume services per backend: one active, one standby


def coordination_url(kind: str = "etcd") -> str:
    """ember's [coordination] backend_url: the DB, or every member of the etcd cluster."""
    if kind == "sql":
        return "sql://"
    return "etcd3+http://" + ",".join(f"127.0.0.1:{etcd_client_port(i)}" for i in NODES)


def endpoint() -> str:
    return f"http://127.0.0.1:{HAPROXY_API_PORT}/v3"


@dataclass
class Settings:
    """What ``up`` was asked for; kept in ``cluster.json`` so later commands see the same cluster."""

    volume_backends: list[str] = field(default_factory=lambda: list(DEFAULT_BACKENDS))
    ember: bool = True
    coordination: str = "sql"
    auth: str = "noauth"

    @classmethod
    def load(cls, state: Path) -> Settings:
        path = state / "cluster.json"
        if not path.exists():
            return cls()
        data = json.loads(path.read_text())
        return cls(volume_backends=list(data.get("volume_backends", DEFAULT_BACKENDS)),
                   ember=bool(data.get("ember", True)), coordination=str(data.get("coordination", "sql")),
                   auth=str(data.get("auth", "noauth")))

    def save(self, state: Path) -> None:
        (state / "cluster.json").write_text(json.dumps(asdict(self), indent=2) + "\n")
