"""ember volume migrate / retype: the bodies they send, and --wait until the volume is at rest again."""

from __future__ import annotations

from tests.unit.client.conftest import body_of, ok
from tests.unit.client.test_volumes import BASE, VOL_ID, make_volume

ACTION = f"{BASE}/volumes/{VOL_ID}/action"
TYPE_ID = "0b8e1c7a-4f2d-4e61-9c3b-5a7d8e9f0a12"


def test_migrate_waits_until_the_volume_is_on_its_new_host(endpoint, ember):
    endpoint.on("GET", f"{BASE}/volumes/{VOL_ID}",
                ok({"volume": make_volume(**{"os-vol-host-attr:host": "h@lvm-1#vg"})}),
                ok({"volume": make_volume(status="maintenance", migration_status="migrating",
                                          **{"os-vol-host-attr:host": "h@lvm-1#vg"})}),
                ok({"volume": make_volume(migration_status="success", **{"os-vol-host-attr:host": "h@nfs-1#s"})}))
    endpoint.on("POST", ACTION, ok(status=202))

    status, out, err = ember("volume", "migrate", VOL_ID, "--host", "h@nfs-1#s", "--force-host-copy", "--wait")

    assert (status, err) == (0, "")
    assert "migrated to h@nfs-1#s" in out
    [sent] = endpoint.sent("POST", ACTION)
    assert body_of(sent) == {"os-migrate_volume": {"host": "h@nfs-1#s", "force_host_copy": True,
                                                   "lock_volume": False}}


def test_a_failed_migration_says_the_volume_stayed(endpoint, ember):
    endpoint.on("GET", f"{BASE}/volumes/{VOL_ID}",
                ok({"volume": make_volume(**{"os-vol-host-attr:host": "h@lvm-1#vg"})}),
                ok({"volume": make_volume(migration_status="error", **{"os-vol-host-attr:host": "h@lvm-1#vg"})}))
    endpoint.on("POST", ACTION, ok(status=202))
    endpoint.on("GET", f"{BASE}/messages", ok({"messages": [
        {"resource_uuid": VOL_ID, "created_at": "2026-01-01T00:00:01",
         "user_message": "migrate volume: The volume could not be copied to the other backend; it stays where it was."}]}))

    status, _, err = ember("volume", "migrate", VOL_ID, "--host", "h@nfs-1#s", "--wait")

    assert status == 1
    assert f"volume {VOL_ID} was not moved" in err and "could not be copied" in err


def test_retype_on_demand_sends_the_policy_and_waits_for_the_type(endpoint, ember):
    endpoint.on("GET", f"{BASE}/types", ok({"volume_types": [{"id": TYPE_ID, "name": "nfs"}]}))
    endpoint.on("GET", f"{BASE}/volumes/{VOL_ID}",
                ok({"volume": make_volume()}),
                ok({"volume": make_volume(status="retyping")}),
                ok({"volume": make_volume(volume_type="nfs", **{"os-vol-host-attr:host": "h@nfs-1#s"})}))
    endpoint.on("POST", ACTION, ok(status=202))

    status, out, _ = ember("volume", "retype", VOL_ID, "nfs", "--migration-policy", "on-demand", "--wait")

    assert status == 0 and "retyped to nfs, now on h@nfs-1#s" in out
    [sent] = endpoint.sent("POST", ACTION)
    assert body_of(sent) == {"os-retype": {"new_type": TYPE_ID, "migration_policy": "on-demand"}}
