"""Quota classes (os-quota-class-sets) and the per-volume-type quota keys: shown, set, enforced, kept exact."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from db import api as db
from db import models, session
from tests.unit.api.conftest import OTHER_TOKEN, Api, make_available
from volume.states.snapshots import snapshot_edge
from volume.states.volumes import edge

BASE_KEYS = ("gigabytes", "snapshots", "volumes", "backups", "backup_gigabytes", "per_volume_gigabytes")


@pytest.fixture
def restricted(set_conf: Any, app_factory: Any) -> tuple[Api, Api]:
    set_conf("noauth_admin_projects", ["admin"])
    client = app_factory()
    return Api(client, "root:admin"), Api(client, "alice:proj-a")


def _type(admin: Api, name: str, **extra_specs: str) -> dict[str, Any]:
    answer = admin.post("/types", {"volume_type": {"name": name, "extra_specs": extra_specs}})
    assert answer.status_code == 200, answer.text
    return dict(answer.json()["volume_type"])


def _usage(api: Api, project: str = "proj-a") -> dict[str, Any]:
    return dict(api.get(f"/os-quota-sets/{project}", params={"usage": "true"}).json()["quota_set"])


def test_updating_the_default_class_changes_every_projects_defaults(restricted: tuple[Api, Api]) -> None:
    """Tempest's test_update_default_quota, step by step."""
    admin, user = restricted
    shown = admin.get("/os-quota-class-sets/default").json()["quota_class_set"]
    asked = {key: shown[key] + 1 if shown[key] >= 0 else shown[key] for key in BASE_KEYS}
    name = _type(admin, "gold")["name"]
    asked.update({f"volumes_{name}": 3, f"snapshots_{name}": 4, f"gigabytes_{name}": 5})
    updated = admin.put("/os-quota-class-sets/default", {"quota_class_set": asked})
    assert updated.status_code == 200, updated.text
    assert "id" not in updated.json()["quota_class_set"]  # as Cinder's update answers
    assert updated.json()["quota_class_set"].items() >= asked.items()
    for project in ("admin", "a-project-never-seen"):
        defaults = admin.get(f"/os-quota-sets/{project}/defaults").json()["quota_set"]
        assert defaults.items() >= asked.items()
    # a project without its own limits gets them, a project with its own keeps those
    assert user.get("/os-quota-sets/proj-a").json()["quota_set"]["volumes"] == 11
    assert user.get("/limits").json()["limits"]["absolute"]["maxTotalVolumes"] == 11
    assert admin.put("/os-quota-sets/proj-b", {"quota_set": {"volumes": 2}}).status_code == 200
    assert admin.get("/os-quota-sets/proj-b").json()["quota_set"]["volumes"] == 2


def test_the_default_class_limits_are_enforced(restricted: tuple[Api, Api]) -> None:
    admin, user = restricted
    assert admin.put("/os-quota-class-sets/default", {"quota_class_set": {"volumes": 1}}).status_code == 200
    user.create_volume(1)
    refused = user.post("/volumes", {"volume": {"size": 1}})
    assert refused.status_code == 413, refused.text
    assert db.quota_get("proj-a", {"volumes": 10})["volumes"] == (1, 1)


def test_another_class_is_stored_and_shown_and_changes_no_project(restricted: tuple[Api, Api]) -> None:
    admin, user = restricted
    assert admin.put("/os-quota-class-sets/silver", {"quota_class_set": {"volumes": 42}}).status_code == 200
    shown = admin.get("/os-quota-class-sets/silver").json()["quota_class_set"]
    assert (shown["id"], shown["volumes"], shown["gigabytes"]) == ("silver", 42, 1000)
    assert admin.get("/os-quota-class-sets/default").json()["quota_class_set"]["volumes"] == 10
    assert user.get("/os-quota-sets/proj-a").json()["quota_set"]["volumes"] == 10
    assert user.put("/os-quota-class-sets/silver", {"quota_class_set": {"volumes": 1}}).status_code == 403


@pytest.mark.parametrize("body", [{"quota_class_set": {"volumes": -2}}, {"quota_class_set": []},
                                  {"quota_class_set": {"volumes": "x"}}, {}])
def test_a_bad_class_update_is_a_400_and_changes_nothing(restricted: tuple[Api, Api], body: Any) -> None:
    admin, _ = restricted
    assert admin.put("/os-quota-class-sets/default", body).status_code == 400
    assert admin.get("/os-quota-class-sets/default").json()["quota_class_set"]["volumes"] == 10


def test_a_class_takes_and_ignores_keys_it_does_not_know(restricted: tuple[Api, Api]) -> None:
    """As Cinder: cinderclient's quota-class-update --volume-type suffixes every key, backups_<type> too."""
    admin, _ = restricted
    _type(admin, "gold")
    body = {"quota_class_set": {"widgets": 1, "backups_gold": 3, "volumes_no-such-type": 1, "volumes_gold": 4}}
    answer = admin.put("/os-quota-class-sets/default", body)
    assert answer.status_code == 200, answer.text
    shown = answer.json()["quota_class_set"]
    assert shown["volumes_gold"] == 4 and not {"widgets", "backups_gold", "volumes_no-such-type"} & set(shown)


def test_per_type_keys_are_shown_for_every_type_and_leave_with_it(restricted: tuple[Api, Api]) -> None:
    admin, user = restricted
    gold = _type(admin, "gold")
    shown = user.get("/os-quota-sets/proj-a").json()["quota_set"]
    assert (shown["volumes_gold"], shown["gigabytes_gold"], shown["snapshots_gold"]) == (-1, -1, -1)
    assert admin.put("/os-quota-sets/proj-a", {"quota_set": {"volumes_gold": 2}}).status_code == 200
    assert admin.put("/os-quota-class-sets/default", {"quota_class_set": {"gigabytes_gold": 9}}).status_code == 200
    assert admin.put(f"/types/{gold['id']}", {"volume_type": {"name": "golden"}}).status_code == 200
    shown = user.get("/os-quota-sets/proj-a").json()["quota_set"]
    assert "volumes_gold" not in shown and (shown["volumes_golden"], shown["gigabytes_golden"]) == (2, 9)
    assert admin.delete(f"/types/{gold['id']}").status_code == 202
    for answer in (user.get("/os-quota-sets/proj-a"), admin.get("/os-quota-sets/proj-a/defaults")):
        assert not [key for key in answer.json()["quota_set"] if key.endswith("_golden")]
    assert not [key for key in admin.get("/os-quota-class-sets/default").json()["quota_class_set"]
                if key.endswith("_golden")]
    assert admin.put("/os-quota-sets/proj-a", {"quota_set": {"volumes_golden": 2}}).status_code == 400


def test_per_type_limits_hold_on_create_snapshot_and_extend(restricted: tuple[Api, Api]) -> None:
    admin, user = restricted
    _type(admin, "gold")
    assert admin.put("/os-quota-sets/proj-a", {"quota_set": {
        "volumes_gold": 1, "gigabytes_gold": 5, "snapshots_gold": 1}}).status_code == 200
    volume = user.create_volume(2, volume_type="gold")
    refused = user.post("/volumes", {"volume": {"size": 1, "volume_type": "gold"}})
    assert refused.status_code == 413
    assert "volumes_gold" in refused.json()["overLimit"]["message"]
    user.create_volume(1)  # another type: only the project's own limits
    make_available(volume["id"])
    snap = user.post("/snapshots", {"snapshot": {"volume_id": volume["id"]}})
    assert snap.status_code == 202, snap.text
    assert db.snapshot_transition(snap.json()["snapshot"]["id"], snapshot_edge("create.done")) is not None
    assert user.post("/snapshots", {"snapshot": {"volume_id": volume["id"]}}).status_code == 413
    # 2 GB volume + 2 GB snapshot of gigabytes_gold's 5: growing to 4 needs 2 more
    assert user.post(f"/volumes/{volume['id']}/action", {"os-extend": {"new_size": 4}}).status_code == 413
    assert user.post(f"/volumes/{volume['id']}/action", {"os-extend": {"new_size": 3}}).status_code == 202
    usage = _usage(user)
    assert usage["volumes_gold"] == {"limit": 1, "in_use": 1, "reserved": 0}
    assert usage["snapshots_gold"]["in_use"] == 1 and usage["gigabytes_gold"]["in_use"] == 5
    assert usage["volumes"]["in_use"] == 2
    assert db.quota_check() == []
    assert admin.put("/os-quota-sets/proj-a", {"quota_set": {"volumes_gold": 0}}).status_code == 400  # in use
    # the extend fails on the backend: what it reserved goes back to the type's keys too
    assert db.volume_transition(volume["id"], edge("extend.fail"), release_pending=True) is not None
    assert _usage(user)["gigabytes_gold"]["in_use"] == 4 and _usage(user)["gigabytes"]["in_use"] == 5
    assert db.quota_check() == []


def test_retype_moves_the_volume_and_its_snapshots_between_type_keys(restricted: tuple[Api, Api]) -> None:
    admin, user = restricted
    _type(admin, "gold")
    _type(admin, "silver", volume_backend_name="file-1")
    volume = user.create_volume(2, volume_type="gold")
    make_available(volume["id"])
    snap = user.post("/snapshots", {"snapshot": {"volume_id": volume["id"]}}).json()["snapshot"]
    assert db.snapshot_transition(snap["id"], snapshot_edge("create.done")) is not None
    assert admin.put("/os-quota-sets/proj-a", {"quota_set": {"gigabytes_silver": 3}}).status_code == 200
    path = f"/volumes/{volume['id']}/action"
    refused = user.post(path, {"os-retype": {"new_type": "silver"}})
    assert refused.status_code == 413, refused.text
    assert db.volume_get(volume["id"]).volume_type_id != _type_id("silver")
    assert admin.put("/os-quota-sets/proj-a", {"quota_set": {"gigabytes_silver": 4}}).status_code == 200
    assert user.post(path, {"os-retype": {"new_type": "silver"}}).status_code == 202
    usage = _usage(user)
    assert {k: usage[f"{k}_gold"]["in_use"] for k in ("volumes", "snapshots", "gigabytes")} == {
        "volumes": 0, "snapshots": 0, "gigabytes": 0}
    assert {k: usage[f"{k}_silver"]["in_use"] for k in ("volumes", "snapshots", "gigabytes")} == {
        "volumes": 1, "snapshots": 1, "gigabytes": 4}
    assert db.quota_check() == []


def _type_id(name: str) -> str:
    return db.type_get_by_name_or_id(name).id


def test_a_transfer_moves_the_type_keys_and_the_takers_type_limit_holds(restricted: tuple[Api, Api]) -> None:
    admin, user = restricted
    taker = Api(user.client, OTHER_TOKEN)
    _type(admin, "gold")
    volume = user.create_volume(2, volume_type="gold")
    make_available(volume["id"])
    assert admin.put("/os-quota-sets/proj-b", {"quota_set": {"volumes_gold": 0}}).status_code == 200
    transfer = user.post("/os-volume-transfer", {"transfer": {"volume_id": volume["id"]}}).json()["transfer"]
    accept = {"accept": {"auth_key": transfer["auth_key"]}}
    assert taker.post(f"/os-volume-transfer/{transfer['id']}/accept", accept).status_code == 413
    assert admin.put("/os-quota-sets/proj-b", {"quota_set": {"volumes_gold": 1}}).status_code == 200
    assert taker.post(f"/os-volume-transfer/{transfer['id']}/accept", accept).status_code == 202
    assert _usage(admin, "proj-a")["volumes_gold"]["in_use"] == 0
    assert _usage(admin, "proj-b")["gigabytes_gold"]["in_use"] == 2
    assert db.quota_check() == []


def test_quota_sync_restores_per_type_usage(restricted: tuple[Api, Api]) -> None:
    admin, user = restricted
    _type(admin, "gold")
    user.create_volume(3, volume_type="gold")
    usages = models.table_of(models.QuotaUsage)
    with session.writer() as conn:
        conn.execute(sa.update(usages).where(usages.c.resource.like("gigabytes:%")).values(in_use=7))
    drifts = db.quota_check()
    assert [(d.owner, d.resource, d.recorded, d.actual) for d in drifts] == [("proj-a", "gigabytes_gold", 7, 3)]
    assert db.quota_sync() == drifts and db.quota_check() == []
