"""A real Keystone (PyPI's keystone 30.0.0, OpenStack 2026.2) served by uWSGI, with ember in its catalog.

Its venv is cached apart from ember's (venvs.py); its database and user are its own (sqladmin.py);
fernet and credential key repositories, keystone.conf, uwsgi.ini and the persona openrc files live in
``<state>/identity/<name>/``. ``deploy()`` does everything from nothing: venv, database, db_sync, key
repositories, bootstrap (admin, RegionOne, identity endpoints), uWSGI, then ember's catalog entries and
the personas (identity.py). ``authtoken_options()`` gives the ``[keystone_authtoken]`` values ember's
API needs, and ``expired_token()`` a user token that is validly signed but past its lifetime.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from localcluster import identity, layout, probes
from localcluster.component import Component
from localcluster.procs import LaunchError, spawn, tail
from localcluster.sqladmin import MariaDBAdmin, OwnDatabase
from localcluster.venvs import CONSTRAINTS, HERE, ToolVenv

KEYSTONE_VERSION = "30.0.0"
VENV = ToolVenv(
    name=f"keystone-{KEYSTONE_VERSION}",
    requirements=(f"keystone=={KEYSTONE_VERSION}", "uWSGI", "PyMySQL"),
    constraints=CONSTRAINTS / "keystone.txt",
    check="import os, sys, keystone.server.wsgi, pymysql; "
          "assert os.access(os.path.join(os.path.dirname(sys.executable), 'uwsgi'), os.X_OK)",
)
ISSUE_TOKEN_SCRIPT = HERE / "keystone-issue-token"
DEFAULT_REGION = "RegionOne"

CONF = """\
# Written by deploy/localcluster/keystone.py
[DEFAULT]
use_stderr = true

[database]
connection = {connection}

[token]
provider = fernet
expiration = {token_expiration_s}

[fernet_tokens]
key_repository = {fernet}

[fernet_receipts]
key_repository = {fernet}

[credential]
key_repository = {credential}

[identity]
# bcrypt rounds of the passwords this test cloud stores (12 by default): each password check costs
# 2^rounds, and Tempest creates users and tokens by the hundred
password_hash_rounds = {password_hash_rounds}

[cache]
enabled = false
"""

UWSGI_INI = """\
# Written by deploy/localcluster/keystone.py
[uwsgi]
module = keystone.wsgi.api:application
env = OS_KEYSTONE_CONFIG_FILES={conf}
http-socket = 127.0.0.1:{port}
processes = {processes}
master = true
lazy-apps = true
need-app = true
die-on-term = true
disable-logging = true
# uWSGI's http-socket closes the connection after each answer without saying so: a client that reuses it
# for its next request (keystoneauth, keystonemiddleware) then meets a reset now and then
add-header = Connection: close
"""


@dataclass(frozen=True)
class Credentials:
    """What a client needs to log in as one persona (keystoneauth1's ``identity.Password`` arguments)."""

    auth_url: str
    username: str
    password: str
    project_name: str
    user_domain_name: str = identity.DOMAIN
    project_domain_name: str = identity.DOMAIN


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_at: datetime
    user_id: str
    project_id: str


class Keystone(Component):
    """One Keystone at ``http://127.0.0.1:<port>/v3`` on database ``database``."""

    group = "identity"
    start_timeout_s = 90.0
    stop_grace_s = 15.0

    def __init__(self, state: Path, *, port: int, database: OwnDatabase, name: str = "keystone",
                 region: str = DEFAULT_REGION, processes: int = 2, password_hash_rounds: int = 4,
                 token_expiration_s: int = 3600) -> None:
        super().__init__(state, name, port)
        self.database = database
        self.region = region
        self.processes = processes
        self.password_hash_rounds = password_hash_rounds
        self.token_expiration_s = token_expiration_s

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v3"

    @property
    def conf(self) -> Path:
        return self.dir / "keystone.conf"

    @property
    def uwsgi_ini(self) -> Path:
        return self.dir / "uwsgi.ini"

    @property
    def manage_log(self) -> Path:
        return self.dir / "manage.log"

    def logs(self) -> list[Path]:
        return [self.log, self.manage_log]

    def openrc(self, persona: str) -> Path:
        identity.persona(persona)
        return self.dir / f"{persona}-openrc"

    @property
    def clouds_yaml(self) -> Path:
        return self.dir / "clouds.yaml"

    # --- state -------------------------------------------------------------------------------------

    def passwords(self) -> dict[str, str]:
        """Persona name -> password: made once, kept in the state folder so reruns reuse them."""
        path = self.dir / "passwords.json"
        known: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
        missing = [p.name for p in identity.PERSONAS if p.name not in known]
        if missing:
            known.update({name: secrets.token_hex(12) for name in missing})
            self.dir.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(known, indent=2) + "\n")
            path.chmod(0o600)
        return known

    def credentials(self, persona: str) -> Credentials:
        who = identity.persona(persona)
        return Credentials(auth_url=self.url, username=who.username, password=self.passwords()[who.name],
                           project_name=who.project)

    def prepare(self) -> None:
        super().prepare()
        for repo in ("fernet-keys", "credential-keys"):
            (self.dir / repo).mkdir(mode=0o700, exist_ok=True)
        self.conf.write_text(CONF.format(
            connection=self.database.url(), token_expiration_s=self.token_expiration_s,
            fernet=self.dir / "fernet-keys", credential=self.dir / "credential-keys",
            password_hash_rounds=self.password_hash_rounds))
        self.uwsgi_ini.write_text(UWSGI_INI.format(conf=self.conf, port=self.port, processes=self.processes))

    # --- life cycle --------------------------------------------------------------------------------

    def manage(self, *args: str, timeout_s: float = 300.0) -> None:
        """keystone-manage with this Keystone's config; its output goes to manage.log."""
        argv = [str(VENV.bin("keystone-manage")), "--config-file", str(self.conf), *args]
        shown = " ".join(a if not a.startswith("--bootstrap-password") else "--bootstrap-password=***"
                         for a in argv)
        with open(self.manage_log, "a") as out:
            out.write(f"\n--- {time.strftime('%H:%M:%S')} {shown}\n")
            out.flush()
            result = subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT, timeout=timeout_s, check=False)
        if result.returncode != 0:
            raise LaunchError(f"{self.name}: keystone-manage {args[0]} failed (rc {result.returncode})\n"
                              f"--- last lines of {self.manage_log}:\n{tail(self.manage_log)}")

    def setup(self, admin: MariaDBAdmin) -> None:
        """Database, schema, key repositories and bootstrap; each step is safe to repeat."""
        VENV.ensure()
        self.prepare()
        self.database.create(admin)
        self.manage("db_sync")
        owner = ["--keystone-user", "root", "--keystone-group", "root"]
        self.manage("fernet_setup", *owner)  # leaves a key repository that has keys alone
        self.manage("credential_setup", *owner)
        self.manage("bootstrap", f"--bootstrap-password={self.passwords()[identity.ADMIN.name]}",
                    "--bootstrap-username", identity.ADMIN.username,
                    "--bootstrap-project-name", identity.ADMIN.project,
                    "--bootstrap-role-name", "admin", "--bootstrap-service-name", "keystone",
                    "--bootstrap-region-id", self.region, "--bootstrap-admin-url", self.url,
                    "--bootstrap-internal-url", self.url, "--bootstrap-public-url", self.url)

    def launch(self) -> None:
        if not VENV.python.exists():
            raise LaunchError(f"{self.name}: no keystone venv in {VENV.path}; run setup() first")
        spawn([str(VENV.bin("uwsgi")), "--ini", str(self.uwsgi_ini)], pidfile=self.pidfile, log=self.log,
              cwd=self.dir)

    def probe(self) -> tuple[bool, str]:
        status, body = probes.http_get(f"{self.url}/", timeout_s=2.0)
        ok = status == 200 and '"id": "v3' in body
        return ok, f"{self.url} (openrc in {self.dir})" if ok else f"GET /v3 answered {status or 'nothing'}"

    def register(self, ember_url: str) -> list[Path]:
        """Ember's catalog entries, the personas, their openrc files and clouds.yaml; safe to repeat."""
        passwords = self.passwords()
        admin = identity.IdentityAdmin(self.url, passwords[identity.ADMIN.name])
        for who in identity.PERSONAS:
            if who is not identity.ADMIN:
                admin.ensure_persona(who, passwords[who.name])
        admin.register_block_storage(ember_url, self.region)
        return identity.write_credentials(self.dir, self.url, passwords, self.region)

    def deploy(self, admin: MariaDBAdmin, ember_url: str) -> None:
        """From nothing (or from what an earlier run left) to a running Keystone with ember registered."""
        self.setup(admin)
        self.start()
        self.register(ember_url)

    def destroy(self, admin: MariaDBAdmin) -> None:
        """Stop it and drop its database and user (the state folder stays)."""
        self.stop()
        self.database.drop(admin)

    # --- tokens and ember's side -------------------------------------------------------------------

    def issue_short_lived_token(self, persona: str, ttl_s: int) -> IssuedToken:
        """A token of ``persona`` that Keystone issued with a lifetime of ``ttl_s`` seconds."""
        who = identity.persona(persona)
        asked = {"config_file": str(self.conf), "username": who.username, "password": self.passwords()[who.name],
                 "project": who.project, "ttl_s": ttl_s}
        # -I: the script's folder must not come first on sys.path, its keystone.py would shadow Keystone's
        result = subprocess.run([str(VENV.python), "-I", str(ISSUE_TOKEN_SCRIPT)], input=json.dumps(asked) + "\n",
                                capture_output=True, text=True, timeout=120, check=False)
        lines = result.stdout.strip().splitlines()
        answer = json.loads(lines[-1]) if lines else {}
        if result.returncode != 0 or not answer.get("token"):
            raise LaunchError(f"{self.name}: issuing a short-lived token failed: {answer or result.stderr[-2000:]}")
        expires_at = datetime.fromisoformat(answer["expires_at"])
        return IssuedToken(token=answer["token"], expires_at=expires_at, user_id=answer["user_id"],
                           project_id=answer["project_id"])

    def expired_token(self, persona: str = identity.DEMO_MEMBER.name) -> IssuedToken:
        """A validly signed token of ``persona`` whose lifetime is over: Keystone's validation rejects it
        (404), and accepts it with ``allow_expired`` within ``[token] allow_expired_window`` (2 days)."""
        issued = self.issue_short_lived_token(persona, ttl_s=1)
        # the expiry has whole-second precision: wait until it is strictly in the past
        while datetime.now(UTC) <= issued.expires_at:
            time.sleep(0.2)
        return issued

    def authtoken_options(self) -> dict[str, str]:
        """The ``[keystone_authtoken]`` values ember's API needs to validate tokens against this Keystone."""
        service = self.credentials(identity.SERVICE.name)
        return {
            "www_authenticate_uri": self.url,  # what a 401's WWW-Authenticate names
            "auth_url": self.url,
            "auth_type": "password",
            "username": service.username,
            "password": service.password,
            "project_name": service.project_name,
            "user_domain_name": service.user_domain_name,
            "project_domain_name": service.project_domain_name,
            "region_name": self.region,
            "interface": "public",
            "service_type": "block-storage",
            # a service token (X-Service-Token) counts only with this role; then an expired user token
            # along with it is still accepted (allow_expired)
            "service_token_roles": "service",
            "service_token_roles_required": "true",
            # no memcached_servers: keystonemiddleware keeps validated tokens in its in-process cache
        }


def authtoken_section(options: dict[str, str]) -> str:
    """``options`` as the ``[keystone_authtoken]`` section of an INI file."""
    return "[keystone_authtoken]\n" + "".join(f"{key} = {value}\n" for key, value in options.items())


def cluster_keystone(state: Path) -> Keystone:
    """The local cluster's Keystone: port 5000, its database on the cluster's Galera behind HAProxy."""
    database = OwnDatabase(name=layout.KEYSTONE_DB_NAME, user=layout.KEYSTONE_DB_USER,
                           password=layout.KEYSTONE_DB_PASSWORD, port=layout.HAPROXY_GALERA_PORT)
    return Keystone(state, port=layout.KEYSTONE_PORT, database=database)
