"""What ember needs inside a running Keystone, made through its REST API with the admin's token.

The catalog entries of the block-storage service (``block-storage`` at ``<ember>/v3`` and ``volumev3``
at ``<ember>/v3/%(project_id)s``, public, internal and admin), the service user ember's
keystonemiddleware validates tokens as, the persona users of the test tiers, and one openrc file per
persona plus a clouds.yaml. Standard library only: the launcher runs outside every venv.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from localcluster.procs import LaunchError

DOMAIN = "Default"
DOMAIN_ID = "default"
INTERFACES = ("public", "internal", "admin")


@dataclass(frozen=True)
class Persona:
    """A user with ``roles`` on ``project``; ``name`` is also its openrc's prefix (``<name>-openrc``)."""

    name: str
    username: str
    project: str
    roles: tuple[str, ...]


ADMIN = Persona("admin", "admin", "admin", ("admin",))  # made by keystone-manage bootstrap
# the block-storage service user: ember's keystonemiddleware validates user tokens as it, and its role
# "service" is what service tokens (X-Service-Token) must carry
SERVICE = Persona("service", "ember", "service", ("admin", "service"))
DEMO_MEMBER = Persona("demo-member", "demo-member", "demo", ("member",))
DEMO_READER = Persona("demo-reader", "demo-reader", "demo", ("reader",))
ALT_MEMBER = Persona("alt-member", "alt-member", "alt_demo", ("member",))  # a member of another project
PERSONAS: tuple[Persona, ...] = (ADMIN, SERVICE, DEMO_MEMBER, DEMO_READER, ALT_MEMBER)


def persona(name: str) -> Persona:
    for known in PERSONAS:
        if known.name == name:
            return known
    raise KeyError(f"no persona {name!r}; known: {', '.join(p.name for p in PERSONAS)}")


@dataclass(frozen=True)
class BlockStorageService:
    """A catalog entry: service ``type`` named ``name``, its endpoints at ``path`` below ember's root URL."""

    type: str
    name: str
    path: str


BLOCK_STORAGE = (
    BlockStorageService("block-storage", "ember", "/v3"),  # the project comes from the token
    BlockStorageService("volumev3", "emberv3", "/v3/%(project_id)s"),  # for clients that put it in the URL
)


class KeystoneHTTPError(LaunchError):
    def __init__(self, method: str, url: str, status: int, body: str) -> None:
        super().__init__(f"keystone: {method} {url} answered {status}: {body[:500]}")
        self.status = status


def request(method: str, url: str, *, body: dict[str, Any] | None = None, token: str | None = None,
            headers: dict[str, str] | None = None, timeout_s: float = 30.0) -> tuple[int, dict[str, str], Any]:
    """(status, headers, JSON body or None); raises KeystoneHTTPError on 4xx/5xx, LaunchError when unreachable."""
    sent = {"Accept": "application/json", **(headers or {})}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        sent["Content-Type"] = "application/json"
    if token:
        sent["X-Auth-Token"] = token
    req = urllib.request.Request(url, data=data, headers=sent, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout_s) as resp:
            raw = resp.read()
            return resp.status, dict(resp.headers.items()), json.loads(raw) if raw else None
    except urllib.error.HTTPError as exc:
        raise KeystoneHTTPError(method, url, exc.code, exc.read().decode(errors="replace")) from exc
    except OSError as exc:
        raise LaunchError(f"keystone: {method} {url} failed: {exc}") from exc


def password_auth(username: str, password: str, project: str) -> dict[str, Any]:
    return {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": username, "domain": {"id": DOMAIN_ID}, "password": password}}},
        "scope": {"project": {"name": project, "domain": {"id": DOMAIN_ID}}}}}


def issue_token(auth_url: str, username: str, password: str, project: str) -> tuple[str, dict[str, Any]]:
    """A project-scoped token by password: (the token, the token body Keystone answered)."""
    _, headers, body = request("POST", f"{auth_url}/auth/tokens", body=password_auth(username, password, project))
    token = next(v for k, v in headers.items() if k.lower() == "x-subject-token")
    return token, body["token"]


class IdentityAdmin:
    """Idempotent "ensure" calls against Keystone's v3 API as the bootstrap admin."""

    def __init__(self, auth_url: str, password: str) -> None:
        self.auth_url = auth_url
        self._password = password
        self._token: str | None = None

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        if self._token is None:
            self._token, _ = issue_token(self.auth_url, ADMIN.username, self._password, ADMIN.project)
        return request(method, f"{self.auth_url}{path}", body=body, token=self._token)[2]

    def _find(self, collection: str, **query: str) -> dict[str, Any] | None:
        found = self.call("GET", f"/{collection}?{urllib.parse.urlencode(query)}")[collection]
        return found[0] if found else None

    def ensure_project(self, name: str) -> str:
        found = self._find("projects", name=name, domain_id=DOMAIN_ID)
        if found:
            return str(found["id"])
        body = {"project": {"name": name, "domain_id": DOMAIN_ID, "description": "made by deploy/local-cluster"}}
        return str(self.call("POST", "/projects", body)["project"]["id"])

    def ensure_user(self, name: str, password: str, project_id: str) -> str:
        found = self._find("users", name=name, domain_id=DOMAIN_ID)
        if found:
            self.call("PATCH", f"/users/{found['id']}", {"user": {"password": password, "enabled": True}})
            return str(found["id"])
        body = {"user": {"name": name, "password": password, "domain_id": DOMAIN_ID,
                         "default_project_id": project_id}}
        return str(self.call("POST", "/users", body)["user"]["id"])

    def ensure_role(self, name: str) -> str:
        found = self._find("roles", name=name)
        if found:
            return str(found["id"])
        return str(self.call("POST", "/roles", {"role": {"name": name}})["role"]["id"])

    def grant(self, project_id: str, user_id: str, role_id: str) -> None:
        self.call("PUT", f"/projects/{project_id}/users/{user_id}/roles/{role_id}")

    def ensure_persona(self, who: Persona, password: str) -> None:
        project_id = self.ensure_project(who.project)
        user_id = self.ensure_user(who.username, password, project_id)
        for role in who.roles:
            self.grant(project_id, user_id, self.ensure_role(role))

    def ensure_service(self, entry: BlockStorageService) -> str:
        found = self._find("services", type=entry.type)
        if found:
            return str(found["id"])
        body = {"service": {"type": entry.type, "name": entry.name, "enabled": True,
                            "description": "ember block storage"}}
        return str(self.call("POST", "/services", body)["service"]["id"])

    def ensure_endpoint(self, service_id: str, interface: str, url: str, region: str) -> None:
        found = self._find("endpoints", service_id=service_id, interface=interface, region_id=region)
        if found:
            if found["url"] != url:
                self.call("PATCH", f"/endpoints/{found['id']}", {"endpoint": {"url": url}})
            return
        self.call("POST", "/endpoints", {"endpoint": {"service_id": service_id, "interface": interface, "url": url,
                                                      "region_id": region, "enabled": True}})

    def register_block_storage(self, ember_url: str, region: str) -> None:
        """Point both block-storage catalog entries at ``ember_url`` (its root, with or without ``/v3``)."""
        root = ember_url.rstrip("/").removesuffix("/v3")
        for entry in BLOCK_STORAGE:
            service_id = self.ensure_service(entry)
            for interface in INTERFACES:
                self.ensure_endpoint(service_id, interface, root + entry.path, region)


def openrc_text(auth_url: str, who: Persona, password: str, region: str) -> str:
    values = {
        "OS_AUTH_URL": auth_url, "OS_IDENTITY_API_VERSION": "3", "OS_AUTH_TYPE": "password",
        "OS_USERNAME": who.username, "OS_PASSWORD": password, "OS_USER_DOMAIN_NAME": DOMAIN,
        "OS_PROJECT_NAME": who.project, "OS_PROJECT_DOMAIN_NAME": DOMAIN, "OS_REGION_NAME": region,
        "OS_INTERFACE": "public", "OS_VOLUME_API_VERSION": "3",
    }
    lines = [f"# {who.name}: user {who.username}, roles {', '.join(who.roles)} on project {who.project}"]
    return "\n".join(lines + [f"export {k}={v}" for k, v in values.items()]) + "\n"


def clouds_yaml_text(auth_url: str, passwords: dict[str, str], region: str) -> str:
    """One cloud per persona, named like its openrc (``openstack --os-cloud demo-member ...``)."""
    lines = ["clouds:"]
    for who in PERSONAS:
        lines += [f"  {who.name}:", "    auth:", f"      auth_url: {auth_url}", f"      username: {who.username}",
                  f"      password: {passwords[who.name]}", f"      project_name: {who.project}",
                  f"      user_domain_name: {DOMAIN}", f"      project_domain_name: {DOMAIN}",
                  "    identity_api_version: 3", f"    region_name: {region}", "    interface: public",
                  "    volume_api_version: 3"]
    return "\n".join(lines) + "\n"


def write_credentials(folder: Path, auth_url: str, passwords: dict[str, str], region: str) -> list[Path]:
    written = []
    for who in PERSONAS:
        path = folder / f"{who.name}-openrc"
        path.write_text(openrc_text(auth_url, who, passwords[who.name], region))
        path.chmod(0o600)
        written.append(path)
    clouds = folder / "clouds.yaml"
    clouds.write_text(clouds_yaml_text(auth_url, passwords, region))
    clouds.chmod(0o600)
    return [*written, clouds]
