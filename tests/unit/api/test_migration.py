"""os-migrate_volume, os-migrate_volume_completion and the retype that moves a volume: the api's side
(checks, the swap that holds the volume, the cast to the source's active)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

from db import api as db
from tests.unit.api.conftest import POOL, Api, beat, make_available

OTHER = "host@file-2#pool"


def _report(pool: str = OTHER, *, free_gb: float = 100, backend_name: str = "file-2") -> None:
    backend = pool.split("#")[0]
    db.pool_report(backend, [{"name": pool, "volume_backend_name": backend_name, "availability_zone": "nova",
                              "total_capacity_gb": free_gb, "free_capacity_gb": free_gb, "reserved_percentage": 0,
                              "max_over_subscription_ratio": 1, "thin_provisioning_support": False,
                              "capabilities": {}}])
    beat(f"node-{backend}", host=backend)


@pytest.fixture
def admin(set_conf: Callable[..., None], app_factory: Callable[[], TestClient]) -> Api:
    set_conf("noauth_admin_projects", ["admin"])
    _report()
    beat("node-1")
    return Api(app_factory(), "admin:admin")


@pytest.fixture
def volume(admin: Api) -> dict[str, Any]:
    created = admin.as_("alice:proj-a").create_volume(1)
    make_available(created["id"])
    return created


def _migrate(api: Api, volume_id: str, **args: Any) -> Any:
    return api.post(f"/volumes/{volume_id}/action", {"os-migrate_volume": args})


def test_migrate_holds_the_volume_and_asks_the_source(admin: Api, volume: dict[str, Any],
                                                      casts: list[Any]) -> None:
    answer = _migrate(admin, volume["id"], host=OTHER, force_host_copy=False, lock_volume=True)
    assert answer.status_code == 202, answer.text
    assert casts == [("migrate_volume", "host@file-1", {"volume_id": volume["id"]})]
    moved = db.volume_get(volume["id"])
    assert (moved.status, moved.migration_status, moved.migration_host, moved.host) == (
        "maintenance", "starting", OTHER, POOL)
    shown = admin.get(f"/volumes/{volume['id']}").json()["volume"]
    assert shown["migration_status"] == "starting"
    again = _migrate(admin, volume["id"], host=OTHER)
    assert again.status_code == 400 and "active migration" in again.json()["badRequest"]["message"]


def test_migrate_by_backend_name_picks_its_pool(admin: Api, volume: dict[str, Any], casts: list[Any]) -> None:
    assert _migrate(admin, volume["id"], host="host@file-2").status_code == 202
    assert db.volume_get(volume["id"]).migration_host == OTHER


@pytest.mark.parametrize(("args", "words"), [
    ({"host": POOL}, "Destination host must be different than the current host."),
    ({"host": "host@file-1"}, "Destination host must be different than the current host."),
    ({"host": "nowhere@x#y"}, "No available service named nowhere@x#y"),
    ({}, "exactly one of host and cluster"),
    ({"cluster": "host@file-2"}, "cluster needs microversion 3.16"),
])
def test_migrate_refusals_change_nothing(admin: Api, volume: dict[str, Any], casts: list[Any],
                                         args: dict[str, Any], words: str) -> None:
    before = db.volume_get(volume["id"])
    answer = _migrate(admin, volume["id"], **args)
    assert answer.status_code == 400, answer.text
    assert words in answer.json()["badRequest"]["message"]
    assert db.volume_get(volume["id"]).version == before.version and not casts


def test_migrate_by_cluster_from_3_16(admin: Api, volume: dict[str, Any], casts: list[Any]) -> None:
    assert _migrate(admin.as_(admin.token, "3.16"), volume["id"], cluster="host@file-2").status_code == 202


def test_migrate_refuses_a_volume_with_snapshots(admin: Api, volume: dict[str, Any], casts: list[Any]) -> None:
    assert admin.as_("alice:proj-a").post("/snapshots", {"snapshot": {"volume_id": volume["id"]}}).status_code == 202
    answer = _migrate(admin, volume["id"], host=OTHER)
    assert answer.status_code == 400
    assert answer.json()["badRequest"]["message"] == "Invalid volume: Volume must not have snapshots."


def test_migrate_refuses_an_attached_volume_saying_why(admin: Api, volume: dict[str, Any]) -> None:
    assert db.volume_transition(volume["id"], (frozenset({"available"}), "in-use")) is not None
    answer = _migrate(admin, volume["id"], host=OTHER)
    assert answer.status_code == 400
    assert "without Nova" in answer.json()["badRequest"]["message"]


def test_migrate_refuses_a_down_or_full_destination(admin: Api, volume: dict[str, Any]) -> None:
    _report("host@file-3#pool", free_gb=0, backend_name="file-3")
    full = _migrate(admin, volume["id"], host="host@file-3#pool")
    assert full.status_code == 400 and "no room" in full.json()["badRequest"]["message"]
    db.pool_report("host@lvm-9", [{"name": "host@lvm-9#vg", "volume_backend_name": "lvm-9",
                                   "availability_zone": "nova", "total_capacity_gb": 10, "free_capacity_gb": 10,
                                   "reserved_percentage": 0, "max_over_subscription_ratio": 1,
                                   "thin_provisioning_support": False, "capabilities": {}}])
    beat("node-lvm", host="host@lvm-9", age_s=3600)  # its service stopped beating
    down = _migrate(admin, volume["id"], host="host@lvm-9#vg")
    assert down.status_code == 400 and "No available service" in down.json()["badRequest"]["message"]


def test_migrate_is_for_admins_only(admin: Api, volume: dict[str, Any]) -> None:
    assert _migrate(admin.as_("alice:proj-a"), volume["id"], host=OTHER).status_code == 403
    completion = admin.as_("alice:proj-a").post(f"/volumes/{volume['id']}/action",
                                                {"os-migrate_volume_completion": {"new_volume": volume["id"]}})
    assert completion.status_code == 403


def test_completion_answers_as_cinder_for_volumes_not_mid_migration(admin: Api, volume: dict[str, Any]) -> None:
    other = admin.as_("alice:proj-a").create_volume(1)
    answer = admin.post(f"/volumes/{volume['id']}/action",
                        {"os-migrate_volume_completion": {"new_volume": other["id"], "error": False}})
    assert answer.status_code == 400
    assert answer.json()["badRequest"]["message"] == "Invalid volume: Source volume not mid-migration."


def test_retype_on_demand_moves_to_a_backend_meeting_the_type(admin: Api, volume: dict[str, Any],
                                                              casts: list[Any]) -> None:
    there = admin.post("/types", {"volume_type": {"name": "there", "extra_specs": {"volume_backend_name": "file-2"}}})
    assert there.status_code == 200
    owner = admin.as_("alice:proj-a")
    never = owner.post(f"/volumes/{volume['id']}/action", {"os-retype": {"new_type": "there"}})
    assert never.status_code == 400 and "on-demand" in never.json()["badRequest"]["message"]
    answer = owner.post(f"/volumes/{volume['id']}/action",
                        {"os-retype": {"new_type": "there", "migration_policy": "on-demand"}})
    assert answer.status_code == 202, answer.text
    moved = db.volume_get(volume["id"])
    assert (moved.status, moved.migration_host, moved.migration_type_id) == (
        "retyping", OTHER, there.json()["volume_type"]["id"])
    assert moved.volume_type_id != moved.migration_type_id  # the type changes at the swap
    assert casts == [("migrate_volume", "host@file-1", {"volume_id": volume["id"]})]
