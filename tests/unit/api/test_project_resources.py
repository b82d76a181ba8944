"""Limits, quota sets, availability zones, pools, services and user messages."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from db import api as db
from db.records import Service
from tests.unit.api.conftest import POOL, Api, make_available


@pytest.fixture
def restricted(set_conf: Any, app_factory: Any) -> tuple[Api, Api]:
    set_conf("noauth_admin_projects", ["admin"])
    client = app_factory()
    return Api(client, "root:admin"), Api(client, "alice:proj-a")


def test_limits_show_the_projects_quota_and_usage(api: Api) -> None:
    api.create_volume(3)
    absolute = api.get("/limits").json()["limits"]["absolute"]
    assert absolute["maxTotalVolumes"] == 10 and absolute["maxTotalVolumeGigabytes"] == 1000
    assert absolute["totalVolumesUsed"] == 1 and absolute["totalGigabytesUsed"] == 3
    assert absolute["totalSnapshotsUsed"] == 0 and absolute["maxTotalBackups"] == 10


def test_the_admin_reads_another_projects_limits_from_3_39(restricted: tuple[Api, Api]) -> None:
    """openstack limits show --project (openstacksdk sends project_id at 3.39): Cinder's rule."""
    admin, user = restricted
    user.create_volume(2)
    asked = {"project_id": "proj-a"}

    def used(api: Api) -> int:
        return int(api.get("/limits", params=asked).json()["limits"]["absolute"]["totalVolumesUsed"])

    assert used(admin.as_(admin.token, "3.39")) == 1
    assert used(admin.as_(admin.token, "3.38")) == 0  # below 3.39 the parameter is ignored: the admin's own
    assert admin.as_(admin.token, "3.39").get("/limits", params={"tenant_id": "proj-a"}).json()[
        "limits"]["absolute"]["totalGigabytesUsed"] == 2
    # anyone else is shown its own project whatever it asks
    assert used(Api(user.client, "bob:proj-b", "3.39")) == 0


def test_quota_defaults_come_from_the_config(set_conf: Any, app_factory: Any) -> None:
    set_conf("quota_volumes", 4)
    api = Api(app_factory())
    assert api.get("/os-quota-sets/proj-a/defaults").json()["quota_set"]["volumes"] == 4
    assert api.get("/limits").json()["limits"]["absolute"]["maxTotalVolumes"] == 4


def test_quota_set_show_update_usage_delete(restricted: tuple[Api, Api]) -> None:
    admin, user = restricted
    user.create_volume(2)
    shown = user.get("/os-quota-sets/proj-a").json()["quota_set"]
    assert shown["id"] == "proj-a" and shown["volumes"] == 10
    usage = user.get("/os-quota-sets/proj-a", params={"usage": "true"}).json()["quota_set"]
    assert usage["gigabytes"] == {"limit": 1000, "in_use": 2, "reserved": 0}
    updated = admin.put("/os-quota-sets/proj-a", {"quota_set": {"volumes": 5, "gigabytes": "-1"}})
    assert updated.status_code == 200
    assert updated.json()["quota_set"]["volumes"] == 5 and updated.json()["quota_set"]["gigabytes"] == -1
    assert admin.delete("/os-quota-sets/proj-a").status_code == 200
    assert user.get("/os-quota-sets/proj-a").json()["quota_set"]["volumes"] == 10


def test_quota_sets_carry_cinders_keys_and_per_volume_gigabytes_limits_each_volume(
        restricted: tuple[Api, Api]) -> None:
    admin, user = restricted
    shown = user.get("/os-quota-sets/proj-a").json()["quota_set"]
    assert (shown["per_volume_gigabytes"], shown["groups"]) == (-1, 10)  # Tempest's schema requires both
    assert set(admin.get("/os-quota-sets/proj-a/defaults").json()["quota_set"]) >= {"per_volume_gigabytes", "groups"}
    assert admin.put("/os-quota-sets/proj-a", {"quota_set": {"per_volume_gigabytes": 3}}).status_code == 200
    refused = user.post("/volumes", {"volume": {"size": 4}})
    assert refused.status_code == 413
    assert refused.json()["overLimit"]["message"] == (
        "Requested volume size 4G is larger than maximum allowed limit 3G.")
    volume = user.create_volume(3)
    make_available(volume["id"])
    grown = user.post(f"/volumes/{volume['id']}/action", {"os-extend": {"new_size": 4}})
    assert grown.status_code == 413 and db.volume_get(volume["id"]).size_gb == 3
    usage = user.get("/os-quota-sets/proj-a", params={"usage": "true"}).json()["quota_set"]
    assert usage["per_volume_gigabytes"] == {"limit": 3, "in_use": 0, "reserved": 0}


@pytest.mark.parametrize("body", [{"quota_set": {"volumes": -2}}, {"quota_set": {"volumes": "many"}},
                                  {"quota_set": {"widgets": 3}}, {"quota_set": {"volumes": True}},
                                  {"quota_set": {"volumes": 0}}])
def test_bad_quota_update_is_a_400_and_changes_nothing(restricted: tuple[Api, Api], body: Any) -> None:
    admin, user = restricted
    user.create_volume(1)
    assert admin.put("/os-quota-sets/proj-a", body).status_code == 400
    assert admin.get("/os-quota-sets/proj-a").json()["quota_set"]["volumes"] == 10


def test_quota_writes_are_admin_only_and_reads_own_project_only(restricted: tuple[Api, Api]) -> None:
    _, user = restricted
    assert user.put("/os-quota-sets/proj-a", {"quota_set": {"volumes": 50}}).status_code == 403
    assert user.delete("/os-quota-sets/proj-a").status_code == 403
    assert user.get("/os-quota-sets/proj-b").status_code == 403


def test_availability_zones_from_pools_and_config(api: Api) -> None:
    db.pool_report("h2@b", [{"name": "h2@b#p", "volume_backend_name": "b", "availability_zone": "zone-2",
                             "total_capacity_gb": 10, "free_capacity_gb": 10, "capabilities": {}}])
    zones = api.get("/os-availability-zone").json()["availabilityZoneInfo"]
    assert zones == [{"zoneName": "nova", "zoneState": {"available": True}},
                     {"zoneName": "zone-2", "zoneState": {"available": True}}]


def test_get_pools(api: Api, restricted: tuple[Api, Api]) -> None:
    admin, user = restricted
    assert admin.get("/scheduler-stats/get_pools").json() == {"pools": [{"name": POOL}]}
    (pool,) = admin.get("/scheduler-stats/get_pools", params={"detail": "true"}).json()["pools"]
    capabilities = pool["capabilities"]
    assert capabilities["total_capacity_gb"] == 100 and capabilities["volume_backend_name"] == "file-1"
    assert capabilities["allocated_capacity_gb"] == 0 and "timestamp" in capabilities
    assert user.get("/scheduler-stats/get_pools").status_code == 403


def test_backend_capabilities_say_what_its_pools_report(restricted: tuple[Api, Api]) -> None:
    admin, user = restricted
    db.pool_report("h9@lvm-9", [{"name": "h9@lvm-9#vg", "volume_backend_name": "lvm-9", "availability_zone": "nova",
                                 "total_capacity_gb": 10,
                                 "free_capacity_gb": 10, "capabilities": {
                                     "storage_protocol": "iSCSI", "vendor_name": "ember", "driver_version": "2.1"}}])
    for name in ("h9@lvm-9", "h9@lvm-9#vg"):
        shown = admin.get(f"/capabilities/{name.replace('#', '%23')}")
        assert shown.status_code == 200, shown.text
        body = shown.json()
        assert (body["volume_backend_name"], body["storage_protocol"], body["vendor_name"], body["driver_version"]) == (
            "lvm-9", "iSCSI", "ember", "2.1")
        assert body["namespace"] == "OS::Storage::Capabilities::h9@lvm-9"
    assert admin.get("/capabilities/nowhere@none").status_code == 404
    assert user.get("/capabilities/h9@lvm-9").status_code == 403


def test_services_state_and_enable_disable(restricted: tuple[Api, Api], monkeypatch: pytest.MonkeyPatch) -> None:
    admin, user = restricted
    db.service_heartbeat(host="h1", binary="ember-volume", topic="ember-volume", availability_zone="nova")
    db.service_heartbeat(host="h2", binary="ember-scheduler", topic="ember-scheduler", availability_zone="nova")
    real_list = db.service_list

    def h2_silent_for_an_hour(**kwargs: Any) -> list[Service]:
        return [replace(s, heartbeat_at=s.heartbeat_at - timedelta(hours=1)) if s.host == "h2" else s
                for s in real_list(**kwargs)]

    monkeypatch.setattr(db, "service_list", h2_silent_for_an_hour)
    listed = {s["host"]: s for s in admin.get("/os-services").json()["services"]}
    assert listed["h1"]["state"] == "up" and listed["h2"]["state"] == "down"
    assert listed["h1"]["status"] == "enabled" and listed["h1"]["binary"] == "cinder-volume"
    assert [s["host"] for s in admin.get("/os-services", params={"binary": "ember-volume"}).json()["services"]] \
        == ["h1"]
    disabled = admin.put("/os-services/disable-log-reason",
                         {"host": "h1", "binary": "ember-volume", "disabled_reason": "maintenance"})
    assert disabled.status_code == 200 and disabled.json()["status"] == "disabled"
    assert admin.get("/os-services", params={"host": "h1"}).json()["services"][0]["disabled_reason"] == "maintenance"
    assert admin.put("/os-services/enable", {"host": "h1", "binary": "ember-volume"}).json()["status"] == "enabled"
    assert admin.put("/os-services/enable", {"host": "nope", "binary": "ember-volume"}).status_code == 404
    assert admin.put("/os-services/enable", {"host": "h1"}).status_code == 400
    assert user.get("/os-services").status_code == 403


def test_messages_need_3_3_and_are_project_scoped(restricted: tuple[Api, Api]) -> None:
    admin, user = restricted
    db.message_create(project_id="proj-a", resource_type="VOLUME", resource_uuid="v1", event_id="VOLUME_000001",
                      user_message="schedule allocate volume: no valid backend", request_id="req-1")
    db.message_create(project_id="proj-b", resource_type="VOLUME", resource_uuid="v2", event_id="VOLUME_000001",
                      user_message="other project")
    assert user.get("/messages").status_code == 404
    user = user.as_(user.token, "3.3")
    (message,) = user.get("/messages").json()["messages"]
    assert message["user_message"].endswith("no valid backend") and message["resource_uuid"] == "v1"
    assert user.get(f"/messages/{message['id']}").json()["message"]["request_id"] == "req-1"
    (theirs,) = [m for m in admin.as_(admin.token, "3.3").get("/messages", params={"all_tenants": 1})
                 .json()["messages"] if m["resource_uuid"] == "v2"]
    assert user.get(f"/messages/{theirs['id']}").status_code == 404
    assert user.delete(f"/messages/{theirs['id']}").status_code == 404
    assert user.delete(f"/messages/{message['id']}").status_code == 204
    assert user.get("/messages").json()["messages"] == []


def test_extensions_list_what_ember_serves_to_any_token(restricted: tuple[Api, Api]) -> None:
    _, user = restricted
    listed = user.get("/extensions")
    assert listed.status_code == 200
    aliases = {e["alias"] for e in listed.json()["extensions"]}
    assert {"os-vol-tenant-attr", "os-extended-snapshot-attributes", "capabilities", "os-quota-sets"} <= aliases
    assert {"qos-specs", "encryption"} <= aliases
    assert "os-volume-transfer" not in aliases


def test_quota_class_default_shows_the_configured_defaults_to_admins(set_conf: Any, app_factory: Any) -> None:
    set_conf("quota_volumes", 7)
    set_conf("noauth_admin_projects", ["admin"])
    admin, user = Api(app_factory()).as_("root:admin"), Api(app_factory())
    shown = admin.get("/os-quota-class-sets/default").json()["quota_class_set"]
    assert (shown["id"], shown["volumes"], shown["per_volume_gigabytes"]) == ("default", 7, -1)
    assert user.get("/os-quota-class-sets/default").status_code == 403
