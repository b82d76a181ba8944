"""A database and a user of its own on a MariaDB server, created and dropped with the ``mariadb`` client.

``MariaDBAdmin`` is an account allowed to create databases and users: root over TCP (the machine's
MariaDB), else root over the server's unix socket (where root may only log in that way), or a Galera
node's own ``--defaults-file``. ``OwnDatabase`` is what a service (Keystone) connects with.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from localcluster.procs import LaunchError

_NAME = re.compile(r"^[A-Za-z0-9_]{1,64}$")


@dataclass(frozen=True)
class MariaDBAdmin:
    """The ``mariadb`` client command line (without the SQL) of an administrative account."""

    argv: tuple[str, ...]

    @classmethod
    def tcp(cls, *, host: str = "127.0.0.1", port: int = 3306, user: str = "root", password: str = "") -> MariaDBAdmin:
        argv = ["mariadb", "--no-defaults", "--protocol=tcp", "-h", host, "-P", str(port), f"-u{user}",
                "--connect-timeout=5"]
        if password:
            argv.append(f"-p{password}")
        return cls(tuple(argv))

    @classmethod
    def unix_socket(cls, socket: str | None = None) -> MariaDBAdmin:
        """root over the socket; without a path, the one the client's own config names (the system server)."""
        argv = ["mariadb", "--protocol=socket", "-uroot"]
        if socket:
            argv.append(f"--socket={socket}")
        return cls(tuple(argv))

    @classmethod
    def defaults_file(cls, cnf: Path) -> MariaDBAdmin:
        return cls(("mariadb", f"--defaults-file={cnf}", "-uroot"))

    @classmethod
    def for_server(cls, url: str) -> MariaDBAdmin:
        """The account in a SQLAlchemy URL (``mysql+pymysql://root@127.0.0.1:3306``); when the server refuses it
        over TCP, root over the local unix socket."""
        parts = urlsplit(url)
        by_tcp = cls.tcp(host=parts.hostname or "127.0.0.1", port=parts.port or 3306,
                         user=unquote(parts.username or "root"), password=unquote(parts.password or ""))
        if by_tcp.answers():
            return by_tcp
        by_socket = cls.unix_socket()
        if by_socket.answers():
            return by_socket
        raise LaunchError(f"cannot administer the MariaDB of {parts.hostname}:{parts.port}: neither "
                          f"{parts.username or 'root'} over TCP nor root over the unix socket is let in")

    def answers(self) -> bool:
        try:
            return subprocess.run([*self.argv, "-Nse", "SELECT 1"], capture_output=True, timeout=15,
                                  check=False).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            return False

    def run(self, sql: str, *, timeout_s: float = 60.0) -> str:
        result = subprocess.run([*self.argv, "-Nse", sql], capture_output=True, text=True, timeout=timeout_s,
                                check=False)
        if result.returncode != 0:
            raise LaunchError(f"SQL failed ({' '.join(self.argv[:1])}): {result.stderr.strip()}\n{sql}")
        return result.stdout


@dataclass(frozen=True)
class OwnDatabase:
    """Database ``name`` with user ``user`` (all rights on it alone), reached at ``host:port``."""

    name: str
    user: str
    password: str
    host: str = "127.0.0.1"
    port: int = 3306

    def __post_init__(self) -> None:
        for value in (self.name, self.user):
            if not _NAME.match(value):
                raise ValueError(f"not a safe MariaDB name: {value!r}")
        if "'" in self.password or "\\" in self.password:
            raise ValueError("the password may not contain quotes or backslashes")

    def url(self, driver: str = "pymysql") -> str:
        return f"mysql+{driver}://{self.user}:{self.password}@{self.host}:{self.port}/{self.name}?charset=utf8mb4"

    def create(self, admin: MariaDBAdmin) -> None:
        """Create the database and the user, or reset the user's password; safe to repeat."""
        # 127.0.0.1: the machine's server and HAProxy's Galera frontend both see loopback clients from there
        statements = [f"CREATE DATABASE IF NOT EXISTS `{self.name}` CHARACTER SET utf8mb4"]
        for host in ("127.0.0.1", "localhost"):
            statements += [f"CREATE USER IF NOT EXISTS '{self.user}'@'{host}' IDENTIFIED BY '{self.password}'",
                           f"ALTER USER '{self.user}'@'{host}' IDENTIFIED BY '{self.password}'",
                           f"GRANT ALL PRIVILEGES ON `{self.name}`.* TO '{self.user}'@'{host}'"]
        admin.run(";\n".join(statements) + ";")

    def drop(self, admin: MariaDBAdmin) -> None:
        admin.run(f"DROP DATABASE IF EXISTS `{self.name}`; DROP USER IF EXISTS '{self.user}'@'127.0.0.1', "
                  f"'{self.user}'@'localhost';")
