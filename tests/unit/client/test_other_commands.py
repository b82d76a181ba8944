"""Types, quotas, zones, services, pools, limits and messages."""

from __future__ import annotations

import json

import pytest

from tests.unit.client.conftest import body_of, ok
from tests.unit.client.test_volumes import BASE

FAST = {"id": "t-fast", "name": "fast", "is_public": True, "description": None,
        "extra_specs": {"volume_backend_name": "lvm-1"}}


def test_type_create_sends_access_and_extra_specs(endpoint, ember):
    endpoint.on("POST", f"{BASE}/types", ok({"volume_type": FAST}))

    status, out, _ = ember("type", "create", "fast", "--private", "--description", "SSD",
                           "--property", "volume_backend_name=lvm-1")

    assert status == 0
    [post] = endpoint.requests
    assert body_of(post) == {"volume_type": {
        "name": "fast", "description": "SSD", "os-volume-type-access:is_public": False,
        "extra_specs": {"volume_backend_name": "lvm-1"}}}
    assert "volume_backend_name='lvm-1'" in out


def test_type_set_and_unset_change_extra_specs(endpoint, ember):
    endpoint.on("GET", f"{BASE}/types", ok({"volume_types": [FAST]}))
    endpoint.on("POST", f"{BASE}/types/t-fast/extra_specs", ok({"extra_specs": {"a": "1"}}))
    endpoint.on("DELETE", f"{BASE}/types/t-fast/extra_specs/a", ok(status=202))
    endpoint.on("DELETE", f"{BASE}/types/t-fast/extra_specs/b", ok(status=202))

    assert ember("type", "set", "fast", "--property", "a=1", "--property", "b=2")[0] == 0
    assert ember("type", "unset", "fast", "--property", "a", "--property", "b")[0] == 0

    [post] = endpoint.sent("POST", f"{BASE}/types/t-fast/extra_specs")
    assert body_of(post) == {"extra_specs": {"a": "1", "b": "2"}}
    assert [r.url.path for r in endpoint.requests if r.method == "DELETE"] == [
        f"{BASE}/types/t-fast/extra_specs/a", f"{BASE}/types/t-fast/extra_specs/b"]


def test_a_malformed_property_is_a_usage_error(endpoint, ember, capsys):
    with pytest.raises(SystemExit) as exit_:
        ember("type", "set", "fast", "--property", "novalue")
    assert exit_.value.code == 2
    assert "expected KEY=VALUE, got 'novalue'" in capsys.readouterr().err
    assert endpoint.requests == []


def test_quota_show_defaults_to_the_current_project_and_shows_usage(endpoint, ember):
    endpoint.on("GET", f"{BASE}/os-quota-sets/demo", ok({"quota_set": {
        "id": "demo", "volumes": {"limit": 10, "in_use": 2, "reserved": 1},
        "gigabytes": {"limit": 1000, "in_use": 20, "reserved": 0}}}))

    status, out, _ = ember("quota", "show")

    assert status == 0
    assert endpoint.requests[0].url.params["usage"] == "true"
    rows = [[cell.strip() for cell in line.split("|")[1:-1]] for line in out.splitlines() if "|" in line]
    assert rows == [["Resource", "Limit", "In Use", "Reserved"],
                    ["gigabytes", "1000", "20", "0"], ["volumes", "10", "2", "1"]]


def test_quota_set_puts_only_the_given_limits(endpoint, ember):
    endpoint.on("PUT", f"{BASE}/os-quota-sets/c0ffee", ok({"quota_set": {"volumes": 5}}))

    assert ember("quota", "set", "c0ffee", "--volumes", "5", "--gigabytes", "-1")[0] == 0
    assert body_of(endpoint.requests[0]) == {"quota_set": {"volumes": 5, "gigabytes": -1}}


def test_quota_set_with_nothing_to_change_says_what_to_give(endpoint, ember):
    status, _, err = ember("quota", "set", "c0ffee")

    assert status == 1
    assert "--volumes" in err
    assert endpoint.requests == []


def test_service_list_and_zone_list_show_state(endpoint, ember):
    endpoint.on("GET", f"{BASE}/os-services", ok({"services": [
        {"binary": "cinder-volume", "ember_binary": "ember-volume", "host": "node1@lvm-1", "zone": "nova", "status": "enabled",
         "state": "down", "updated_at": "2024-01-01T00:00:00", "disabled_reason": None, "node": "volume-a",
         "frozen": False, "ha_role": "standby", "ha_epoch": 3}]}))
    endpoint.on("GET", f"{BASE}/os-availability-zone", ok({"availabilityZoneInfo": [
        {"zoneName": "nova", "zoneState": {"available": True}},
        {"zoneName": "edge", "zoneState": {"available": False}}]}))

    _, services, _ = ember("service", "list")
    _, zones, _ = ember("availability-zone", "list")

    assert "| ember-volume | node1@lvm-1 | volume-a | nova | enabled | down  | False  | standby |     3 |" \
        in services
    assert "| nova      | available     |" in zones
    assert "| edge      | not available |" in zones


def test_pool_list_shows_capacity_from_capabilities(endpoint, ember):
    endpoint.on("GET", f"{BASE}/scheduler-stats/get_pools", ok({"pools": [
        {"name": "node1@lvm-1#lvm-1", "capabilities": {
            "volume_backend_name": "lvm-1", "storage_protocol": "iSCSI",
            "total_capacity_gb": 100.0, "free_capacity_gb": 42.5, "allocated_capacity_gb": 57}}]}))

    status, out, _ = ember("pool", "list")

    assert status == 0
    assert endpoint.requests[0].url.params["detail"] == "true"
    assert "| node1@lvm-1#lvm-1 | lvm-1   | iSCSI    |    100.0 |    42.5 |           57 |" in out


def test_limits_show_and_message_list_json(endpoint, ember):
    limits = {"rate": [], "absolute": {"maxTotalVolumes": 10, "totalVolumesUsed": 3}}
    endpoint.on("GET", f"{BASE}/limits", ok({"limits": limits}))
    endpoint.on("GET", f"{BASE}/messages", ok({"messages": [{"id": "m1", "user_message": "boom"}]}))

    _, table, _ = ember("limits", "show")
    _, messages, _ = ember("--json", "message", "list")

    assert "| maxTotalVolumes  |    10 |" in table
    assert json.loads(messages) == [{"id": "m1", "user_message": "boom"}]
