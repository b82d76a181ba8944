"""quota set --type, quota-class, default-type and cluster commands: what they send and print."""

from __future__ import annotations

from tests.unit.client.conftest import body_of, ok
from tests.unit.client.test_volumes import BASE


def test_quota_set_with_a_type_sets_that_types_keys(endpoint, ember):
    endpoint.on("PUT", f"{BASE}/os-quota-sets/p1", ok({"quota_set": {}}))

    assert ember("quota", "set", "p1", "--type", "gold", "--volumes", "3", "--gigabytes", "50")[0] == 0
    assert body_of(endpoint.requests[0]) == {"quota_set": {"volumes_gold": 3, "gigabytes_gold": 50}}


def test_quota_set_with_a_type_refuses_keys_a_type_has_not(endpoint, ember):
    status, _, err = ember("quota", "set", "p1", "--type", "gold", "--backups", "3")

    assert status == 1 and "backups" in err and endpoint.requests == []


def test_quota_class_show_and_set(endpoint, ember):
    endpoint.on("GET", f"{BASE}/os-quota-class-sets/default", ok({"quota_class_set": {
        "id": "default", "volumes": 10, "volumes_gold": -1}}))
    endpoint.on("PUT", f"{BASE}/os-quota-class-sets/default", ok({"quota_class_set": {"volumes": 12}}))

    status, out, _ = ember("quota-class", "show")
    assert status == 0
    rows = [[cell.strip() for cell in line.split("|")[1:-1]] for line in out.splitlines() if "|" in line]
    assert rows == [["Resource", "Limit"], ["volumes", "10"], ["volumes_gold", "-1"]]
    assert ember("quota-class", "set", "default", "--volumes", "12", "--backup-gigabytes", "-1")[0] == 0
    assert body_of(endpoint.requests[1]) == {"quota_class_set": {"volumes": 12, "backup_gigabytes": -1}}


def test_default_type_commands(endpoint, ember):
    endpoint.on("PUT", f"{BASE}/default-types/p1", ok({"default_type": {"project_id": "p1", "volume_type_id": "t1"}}))
    endpoint.on("GET", f"{BASE}/default-types", ok({"default_types": [{"project_id": "p1", "volume_type_id": "t1"}]}))
    endpoint.on("GET", f"{BASE}/types", ok({"volume_types": [{"id": "t1", "name": "gold"}]}))
    endpoint.on("DELETE", f"{BASE}/default-types/p1", ok(status=204))

    status, out, _ = ember("default-type", "set", "p1", "gold")
    assert status == 0 and "t1" in out
    assert body_of(endpoint.requests[0]) == {"default_type": {"volume_type": "gold"}}
    status, out, _ = ember("default-type", "list")
    assert status == 0 and "gold" in out and "p1" in out
    assert ember("default-type", "unset", "p1")[0] == 0


def test_cluster_commands(endpoint, ember):
    cluster = {"name": "h@lvm-1", "binary": "ember-volume", "state": "up", "status": "enabled", "num_hosts": 2,
               "num_down_hosts": 0, "active": "node-a", "last_heartbeat": "2026-01-01T00:00:00.000000",
               "services": [{"node": "node-a", "ha_role": "active", "state": "up", "ha_epoch": 3},
                            {"node": "node-b", "ha_role": "standby", "state": "up", "ha_epoch": 3}]}
    endpoint.on("GET", f"{BASE}/clusters/detail", ok({"clusters": [cluster]}))
    endpoint.on("GET", f"{BASE}/clusters/h@lvm-1", ok({"cluster": cluster}))
    endpoint.on("PUT", f"{BASE}/clusters/disable", ok({"cluster": {**cluster, "status": "disabled"}}))

    status, out, _ = ember("cluster", "list")
    assert status == 0 and "node-a" in out and endpoint.requests[0].url.params["ha"] == "true"
    status, out, _ = ember("cluster", "show", "h@lvm-1")
    assert status == 0 and "node-b (standby, up)" in out
    assert ember("cluster", "disable", "h@lvm-1", "--reason", "disks")[0] == 0
    assert body_of(endpoint.requests[-1]) == {"name": "h@lvm-1", "binary": "cinder-volume", "disabled_reason": "disks"}
