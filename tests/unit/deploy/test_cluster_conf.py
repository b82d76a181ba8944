"""deploy/local-cluster's ember.conf, parsed as ember-api parses it: noauth by default, and with
``--auth keystone`` the cluster Keystone's ``[keystone_authtoken]`` and ``auth_strategy = keystone``."""

from __future__ import annotations

from pathlib import Path

from localcluster import ember, identity
from localcluster.keystone import cluster_keystone
from oslo_config import cfg

from launch import opts


def _api_conf(state: Path) -> cfg.ConfigOpts:
    """The file parsed as ember-api parses it, into a config of its own (not the process-wide one)."""
    return opts.load("ember-api", ["--config-file", str(ember.common_conf(state))], conf=cfg.ConfigOpts(),
                     default_config_files=[])


def test_noauth_cluster_takes_noauth_tokens(tmp_path: Path) -> None:
    ember.write_common_conf(tmp_path, ["file-1"], "sql")
    conf = _api_conf(tmp_path)
    assert conf.auth_strategy == "noauth"
    assert "keystone_authtoken" not in ember.common_conf(tmp_path).read_text()


def test_keystone_cluster_validates_tokens_as_the_service_user(tmp_path: Path) -> None:
    keystone = cluster_keystone(tmp_path)
    ember.write_common_conf(tmp_path, ["file-1"], "sql", keystone=keystone.authtoken_options())
    conf = _api_conf(tmp_path)
    assert conf.auth_strategy == "keystone"
    section = conf.keystone_authtoken
    assert section.www_authenticate_uri == keystone.url == "http://127.0.0.1:5000/v3"
    assert section.service_token_roles == ["service"] and section.service_token_roles_required
    # the auth plugin's options (username, password, ...) are registered by keystonemiddleware at start:
    # read them as it will, from the file
    text = ember.common_conf(tmp_path).read_text()
    assert f"username = {identity.SERVICE.username}\n" in text
    assert f"password = {keystone.passwords()[identity.SERVICE.name]}\n" in text
    assert f"project_name = {identity.SERVICE.project}\n" in text
