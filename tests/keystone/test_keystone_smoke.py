"""The Keystone tier's own infrastructure: personas, catalog, openrc files and the expired token, checked
against the real Keystone with keystoneauth1 and openstacksdk (ember itself is not involved)."""

from __future__ import annotations

import os
import shlex
from pathlib import Path

import httpx
import openstack
import pytest
from keystoneauth1 import access, session
from keystoneauth1.identity import v3
from localcluster.keystone import Keystone

pytestmark = pytest.mark.keystone

# the roles a token carries: bootstrap makes admin imply manager, manager imply member, member imply reader
TOKEN_ROLES = {
    "admin": ("admin", {"admin", "manager", "member", "reader"}),
    "service": ("service", {"admin", "manager", "member", "reader", "service"}),
    "demo-member": ("demo", {"member", "reader"}),
    "demo-reader": ("demo", {"reader"}),
    "alt-member": ("alt_demo", {"member", "reader"}),
}


def login(keystone: Keystone, persona: str) -> tuple[session.Session, access.AccessInfo]:
    creds = keystone.credentials(persona)
    auth = v3.Password(auth_url=creds.auth_url, username=creds.username, password=creds.password,
                       project_name=creds.project_name, user_domain_name=creds.user_domain_name,
                       project_domain_name=creds.project_domain_name)
    sess = session.Session(auth=auth)
    return sess, auth.get_access(sess)


def validate(keystone: Keystone, subject: str, *, allow_expired: bool = False) -> int:
    """Status of Keystone's own token validation, asked as the service user (as keystonemiddleware does)."""
    sess, _ = login(keystone, "service")
    query = "?allow_expired=1" if allow_expired else ""
    resp = sess.get(f"{keystone.url}/auth/tokens{query}", headers={"X-Subject-Token": subject}, raise_exc=False)
    return int(resp.status_code)


@pytest.mark.parametrize("persona", sorted(TOKEN_ROLES))
def test_password_auth_scopes_each_persona_to_its_project_and_roles(keystone: Keystone, persona: str) -> None:
    project, roles = TOKEN_ROLES[persona]
    _, info = login(keystone, persona)
    assert info.project_name == project
    assert info.project_scoped and not info.system_scoped
    assert set(info.role_names or ()) == roles


def test_member_of_another_project_is_scoped_elsewhere(keystone: Keystone) -> None:
    _, demo = login(keystone, "demo-member")
    _, alt = login(keystone, "alt-member")
    assert demo.project_id != alt.project_id and demo.user_id != alt.user_id


def test_catalog_names_ember_for_block_storage_and_volumev3(keystone: Keystone, ember_endpoint: str) -> None:
    _, info = login(keystone, "demo-reader")
    catalog = info.service_catalog
    for interface in ("public", "internal", "admin"):
        assert catalog.get_urls(service_type="block-storage", interface=interface,
                                region_name=keystone.region) == (f"{ember_endpoint}/v3",)
        assert catalog.get_urls(service_type="volumev3", interface=interface,
                                region_name=keystone.region) == (f"{ember_endpoint}/v3/{info.project_id}",)
    assert catalog.get_urls(service_type="identity", interface="public") == (keystone.url,)


def test_expired_token_is_rejected_by_keystone_and_a_fresh_one_validates(keystone: Keystone) -> None:
    expired = keystone.expired_token("demo-member")
    _, fresh = login(keystone, "demo-member")
    assert fresh.auth_token
    assert validate(keystone, expired.token) == 404
    # what a service token lets through: the same token within allow_expired_window
    assert validate(keystone, expired.token, allow_expired=True) == 200
    assert validate(keystone, fresh.auth_token) == 200
    assert expired.user_id == fresh.user_id and expired.project_id == fresh.project_id


def test_a_token_without_auth_is_refused(keystone: Keystone) -> None:
    _, fresh = login(keystone, "demo-member")
    assert fresh.auth_token
    resp = httpx.get(f"{keystone.url}/auth/tokens", headers={"X-Subject-Token": fresh.auth_token}, timeout=10)
    assert resp.status_code == 401


def _openrc_values(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        if line.startswith("export "):
            key, _, value = line[len("export "):].partition("=")
            values[key] = shlex.split(value)[0]
    return values


@pytest.mark.parametrize("persona", ["admin", "demo-member", "demo-reader", "alt-member", "service"])
def test_openrc_file_logs_in_as_its_persona(keystone: Keystone, persona: str) -> None:
    env = _openrc_values(keystone.openrc(persona))
    auth = v3.Password(auth_url=env["OS_AUTH_URL"], username=env["OS_USERNAME"], password=env["OS_PASSWORD"],
                       project_name=env["OS_PROJECT_NAME"], user_domain_name=env["OS_USER_DOMAIN_NAME"],
                       project_domain_name=env["OS_PROJECT_DOMAIN_NAME"])
    info = auth.get_access(session.Session(auth=auth))
    assert (info.project_name, set(info.role_names or ())) == TOKEN_ROLES[persona]
    assert env["OS_REGION_NAME"] == keystone.region and env["OS_IDENTITY_API_VERSION"] == "3"


def test_clouds_yaml_connects_openstacksdk(keystone: Keystone, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(keystone.clouds_yaml))
    for name in [k for k in os.environ if k.startswith("OS_") and k != "OS_CLIENT_CONFIG_FILE"]:
        monkeypatch.delenv(name)
    conn = openstack.connect(cloud="demo-reader")
    conn.authorize()
    assert conn.current_project.name == "demo"
    assert str(conn.endpoint_for("block-storage")).rstrip("/").endswith("/v3")
