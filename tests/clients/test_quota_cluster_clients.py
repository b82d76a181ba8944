"""python-cinderclient, openstacksdk and the openstack CLI drive quota classes, per-volume-type quotas, default
types (3.62), clusters (3.7) and resource filters (3.33) against a running ember."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from bench.stack import EmbeddedStack
from tests.clients.test_cinderclient import cinder, field, wait_status
from tests.clients.test_openstacksdk import _token_connection

pytestmark = pytest.mark.clients

OPENSTACK = str(Path(sys.executable).parent / "openstack")


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _openstack(stack: EmbeddedStack, *args: str, check: bool = True) -> str:
    """The openstack CLI without Keystone: noauth's token, the block-storage endpoint given outright."""
    argv = [OPENSTACK, "--os-auth-type", "admin_token", "--os-token", "demo:demo", "--os-endpoint", stack.endpoint,
            "--os-volume-api-version", "3.62", *args]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    if check:
        assert result.returncode == 0, f"openstack {' '.join(args)}: {result.stdout}{result.stderr}"
    return result.stdout + result.stderr


def test_cinderclient_quota_class_and_per_type_quotas(ember: EmbeddedStack) -> None:
    type_name = _name("qt")
    cinder(ember, "type-create", type_name)
    project = _name("proj")
    before = cinder(ember, "quota-class-show", "default")
    original = field(before, "backups")
    try:
        cinder(ember, "quota-class-update", "--backups", str(int(original) + 1), "default")
        cinder(ember, "quota-class-update", "--volumes", "7", "--volume-type", type_name, "default")
        shown = cinder(ember, "quota-class-show", "default")
        assert field(shown, "backups") == str(int(original) + 1) and field(shown, f"volumes_{type_name}") == "7"
        assert field(cinder(ember, "quota-defaults", project), f"volumes_{type_name}") == "7"
    finally:
        cinder(ember, "quota-class-update", "--backups", original, "default")
        cinder(ember, "quota-class-update", "--volumes", "-1", "--volume-type", type_name, "default")
    cinder(ember, "quota-update", "--volumes", "1", "--volume-type", type_name, "demo")
    try:
        assert field(cinder(ember, "quota-show", "demo"), f"volumes_{type_name}") == "1"
        first = field(cinder(ember, "create", "--volume-type", type_name, "1"), "id")
        refused = cinder(ember, "create", "--volume-type", type_name, "1", check=False)
        assert f"volumes_{type_name}" in refused and "413" in refused
        usage = cinder(ember, "quota-usage", "demo")
        assert f"volumes_{type_name}" in usage
        wait_status(ember, "", first, "available")
        cinder(ember, "delete", first)
    finally:
        cinder(ember, "quota-update", "--volumes", "-1", "--volume-type", type_name, "demo")


def test_cinderclient_default_types(ember: EmbeddedStack) -> None:
    type_name = _name("dt")
    cinder(ember, "type-create", type_name)
    type_id = field(cinder(ember, "type-show", type_name), "id")
    project = _name("proj")
    cinder(ember, "default-type-set", type_name, project, version="3.62")
    try:
        listed = cinder(ember, "default-type-list", version="3.62")
        assert project in listed and type_id in listed
        assert type_id in cinder(ember, "default-type-list", "--project", project, version="3.62")
    finally:
        cinder(ember, "default-type-unset", project, version="3.62")
    assert project not in cinder(ember, "default-type-list", version="3.62")


def test_cinderclient_clusters_and_filters(ember: EmbeddedStack) -> None:
    listed = cinder(ember, "cluster-list", "--detailed", version="3.7")
    name = next(line.split("|")[1].strip() for line in listed.splitlines() if "@" in line)
    assert field(cinder(ember, "cluster-show", name, version="3.7"), "state") == "up"
    cinder(ember, "cluster-disable", "--reason", "client test", name, version="3.7")
    try:
        shown = cinder(ember, "cluster-show", name, version="3.7")
        assert field(shown, "status") == "disabled" and field(shown, "disabled_reason") == "client test"
    finally:
        cinder(ember, "cluster-enable", name, version="3.7")
    assert field(cinder(ember, "cluster-show", name, version="3.7"), "status") == "enabled"
    filters = cinder(ember, "list-filters", "--resource", "volume", version="3.33")
    assert "volume" in filters and "availability_zone" in filters


def test_openstacksdk_quota_classes_default_types_clusters_filters(ember: EmbeddedStack) -> None:
    storage: Any = _token_connection(ember.endpoint).block_storage  # the v3 proxy (the union types v2's too)
    volume_type = storage.create_type(name=_name("sdk"))
    # openstacksdk's QuotaClassSet carries the fixed keys only (a per-type key it leaves out of the request)
    original = storage.get_quota_class_set("default").backups
    storage.update_quota_class_set("default", backups=original + 2)
    try:
        assert storage.get_quota_class_set("default").backups == original + 2
        assert storage.get_quota_set_defaults(_name("proj")).backups == original + 2
    finally:
        storage.update_quota_class_set("default", backups=original)
    project = _name("proj")
    storage.set_default_type(project, volume_type)
    assert storage.show_default_type(project).volume_type_id == volume_type.id
    assert project in {d.project_id for d in storage.default_types()}
    storage.unset_default_type(project)
    assert project not in {d.project_id for d in storage.default_types()}
    clusters = list(storage.clusters())
    assert clusters and all(c.state == "up" for c in clusters)
    assert storage.get_cluster(clusters[0].name).num_hosts >= 1
    filters = {f.resource: f.filters for f in storage.resource_filters()}
    assert "name" in filters["volume"] and "status" in filters["snapshot"]
    storage.delete_type(volume_type)


def test_openstack_cli_quota_class_and_a_projects_default_type(ember: EmbeddedStack) -> None:
    original = field(cinder(ember, "quota-class-show", "default"), "backups")
    _openstack(ember, "quota", "set", "--class", "--backups", str(int(original) + 3), "default")
    try:  # this openstack CLI shows no quota class: cinderclient reads it back
        assert field(cinder(ember, "quota-class-show", "default"), "backups") == str(int(original) + 3)
    finally:
        _openstack(ember, "quota", "set", "--class", "--backups", original, "default")
    # (the CLI sends classes through openstacksdk, whose QuotaClassSet leaves a --volume-type key out)
    type_name = _name("osc")
    cinder(ember, "type-create", type_name)
    cinder(ember, "default-type-set", type_name, "demo", version="3.62")
    try:
        volume = json.loads(_openstack(ember, "volume", "create", "--size", "1", _name("v"), "-f", "json"))
        assert volume["type"] == type_name  # no --type: the project's default type
    finally:
        cinder(ember, "default-type-unset", "demo", version="3.62")
    wait_status(ember, "", volume["id"], "available")
    cinder(ember, "delete", volume["id"])
