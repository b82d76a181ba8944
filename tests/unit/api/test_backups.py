"""/backups: create (claiming the volume, quota), list/detail/show, update (3.9), delete under incrementals,
restore (size checked), admin actions (refused while a live backup service holds the work), records."""

from __future__ import annotations

from typing import Any

import pytest

from db import api as db
from tests.unit.api.conftest import OTHER_TOKEN, Api, make_available
from volume.states.backups import BackupStatus, backup_edge

SERVICE = "backup:b1"


@pytest.fixture
def service(api: Api) -> str:
    """A live backup service: its lease is held."""
    assert db.backend_lease_claim(SERVICE, node="b1", ttl_s=600) is not None
    return SERVICE


@pytest.fixture
def volume(api: Api) -> dict[str, Any]:
    created = api.create_volume(2, name="src")
    make_available(created["id"])
    return created


def _backup(api: Api, volume_id: str, **fields: Any) -> dict[str, Any]:
    response = api.post("/backups", {"backup": {"volume_id": volume_id, **fields}})
    assert response.status_code == 202, response.text
    backup: dict[str, Any] = response.json()["backup"]
    return backup


def _finish(backup_id: str, event: str = "create.done") -> None:
    """What the backup service would do: land the operation (and give the volume back)."""
    from backup.kinds import BACKUP

    effects = BACKUP.done if event.endswith(".done") else BACKUP.fail
    assert db.transition("backup", backup_id, backup_edge(event), effects=effects) is not None


def test_create_claims_the_volume_and_reserves_quota(api: Api, volume: dict[str, Any], service: str) -> None:
    created = _backup(api, volume["id"], name="b", description="d", container="c", metadata={"k": "v"})
    assert set(created) == {"id", "name", "links"}
    assert db.volume_get(volume["id"]).status == "backing-up"
    shown = api.as_("alice:proj-a", "3.64").get(f"/backups/{created['id']}?progress=true").json()["backup"]
    assert (shown["status"], shown["size"], shown["container"], shown["progress"]) == ("creating", 2, "c", 0)
    plain = api.as_("alice:proj-a", "3.64").get(f"/backups/{created['id']}").json()["backup"]
    assert "progress" not in plain  # Cinder's body unless asked: its clients refuse fields they do not know
    assert shown["metadata"] == {"k": "v"} and shown["is_incremental"] is False
    assert db.quota_get("proj-a")["backups"][1] == 1 and db.quota_get("proj-a")["backup_gigabytes"][1] == 2
    busy = api.post("/backups", {"backup": {"volume_id": volume["id"]}})
    assert busy.status_code == 400 and "backing-up" in busy.text
    _finish(created["id"])
    assert db.volume_get(volume["id"]).status == "available"


def test_refusals_in_cinders_words(api: Api, volume: dict[str, Any]) -> None:
    nobody = api.post("/backups", {"backup": {"volume_id": volume["id"]}})
    assert nobody.status_code == 503 and "ember-backup could not be found" in nobody.text
    assert db.backend_lease_claim(SERVICE, node="b1", ttl_s=600) is not None
    no_parent = api.post("/backups", {"backup": {"volume_id": volume["id"], "incremental": True}})
    assert no_parent.status_code == 400 and "No backups available" in no_parent.text
    assert api.post("/backups", {"backup": {"volume_id": volume["id"], "x": 1}}).status_code == 400
    assert api.post("/backups", {"backup": {}}).status_code == 400
    assert api.get("/backups/8c1f3e1e-5a0b-4d39-9d7e-2f5d0a7b6c11").status_code == 404
    assert db.volume_get(volume["id"]).status == "available"  # nothing was claimed


def test_in_use_needs_force(api: Api, volume: dict[str, Any], service: str) -> None:
    actions: list[dict[str, Any]] = [{"os-reserve": {}},
                                     {"os-attach": {"instance_uuid": "0b8d3c52-77a1-4c1e-9f3a-5a6b7c8d9e0f"}}]
    for action in actions:
        assert api.post(f"/volumes/{volume['id']}/action", action).status_code == 202
    refused = api.post("/backups", {"backup": {"volume_id": volume["id"]}})
    assert refused.status_code == 400 and "force" in refused.text
    forced = _backup(api, volume["id"], force=True)
    assert db.volume_get(volume["id"]).status == "backing-up"
    _finish(forced["id"], "create.fail")
    assert db.volume_get(volume["id"]).status == "in-use"  # its prior status, from its attachment


def test_incrementals_pin_their_parent(api: Api, volume: dict[str, Any], service: str) -> None:
    full = _backup(api, volume["id"])
    _finish(full["id"])
    incremental = _backup(api, volume["id"], incremental=True)
    _finish(incremental["id"])
    assert db.backup_get(incremental["id"]).parent_id == full["id"]
    refused = api.delete(f"/backups/{full['id']}")
    assert refused.status_code == 400 and "Incremental backups exist" in refused.text
    detail = api.get(f"/backups/{full['id']}").json()["backup"]
    assert detail["has_dependent_backups"] is True
    assert api.delete(f"/backups/{incremental['id']}").status_code == 202
    assert db.backup_get(incremental["id"]).status == BackupStatus.DELETING


def test_list_detail_paging_and_sort(api: Api, volume: dict[str, Any], service: str, set_conf: Any,
                                     app_factory: Any) -> None:
    ids = []
    for name in ("a", "b", "c"):
        backup = _backup(api, volume["id"], name=name)
        _finish(backup["id"])
        ids.append(backup["id"])
    listed = api.get("/backups", params={"sort": "name:asc", "limit": 2}).json()
    assert [b["name"] for b in listed["backups"]] == ["a", "b"] and listed["backups_links"]
    detail = api.get("/backups/detail", params={"name": "c"}).json()["backups"]
    assert [b["id"] for b in detail] == [ids[2]] and detail[0]["status"] == "available"
    assert api.get("/backups/detail", params={"sort": "bogus:asc"}).status_code == 400
    set_conf("noauth_admin_projects", ["admin"])
    other = Api(app_factory(), OTHER_TOKEN)
    assert other.get(f"/backups/{ids[0]}").status_code == 404


def test_update_from_3_9(api: Api, volume: dict[str, Any], service: str) -> None:
    backup = _backup(api, volume["id"])
    assert api.as_("alice:proj-a", "3.8").put(f"/backups/{backup['id']}", {"backup": {"name": "n"}}).status_code \
        == 404
    renamed = api.as_("alice:proj-a", "3.9").put(f"/backups/{backup['id']}", {"backup": {"name": "n"}})
    assert renamed.status_code == 200 and renamed.json()["backup"]["name"] == "n"
    assert set(renamed.json()["backup"]) == {"id", "name", "links"}  # Cinder's answer: the summary (+ metadata 3.43)


def test_restore_checks_the_target(api: Api, volume: dict[str, Any], service: str) -> None:
    backup = _backup(api, volume["id"])
    early = api.post(f"/backups/{backup['id']}/restore", {"restore": {"volume_id": volume["id"]}})
    assert early.status_code == 400 and "creating" in early.text
    _finish(backup["id"])
    small = api.create_volume(1)
    make_available(small["id"])
    too_small = api.post(f"/backups/{backup['id']}/restore", {"restore": {"volume_id": small["id"]}})
    assert too_small.status_code == 400 and "too small" in too_small.text
    into = api.post(f"/backups/{backup['id']}/restore", {"restore": {"volume_id": volume["id"]}})
    assert into.status_code == 202
    assert into.json()["restore"] == {"backup_id": backup["id"], "volume_id": volume["id"], "volume_name": "src"}
    assert db.volume_get(volume["id"]).status == "restoring-backup"
    assert db.backup_get(backup["id"]).status == BackupStatus.RESTORING
    _finish(backup["id"], "restore.fail")
    assert db.volume_get(volume["id"]).status == "error_restoring"
    assert db.backup_get(backup["id"]).status == BackupStatus.AVAILABLE


def test_admin_actions_wait_for_a_dead_holder(api: Api, volume: dict[str, Any], service: str) -> None:
    backup = _backup(api, volume["id"])
    db.backup_take(statuses=frozenset({"creating"}), host=SERVICE, limit=1)
    path = f"/backups/{backup['id']}/action"
    busy = api.post(path, {"os-reset_status": {"status": "error"}})
    assert busy.status_code == 400 and "busy" in busy.text
    assert api.post(path, {"os-force_delete": {}}).status_code == 400
    epoch = db.backend_get(SERVICE).epoch
    db.backend_lease_release(SERVICE, node="b1", epoch=epoch)  # the service is gone
    assert api.post(path, {"os-reset_status": {"status": "bogus"}}).status_code == 400
    assert api.post(path, {"os-reset_status": {"status": "error"}}).status_code == 202
    assert db.backup_get(backup["id"]).status == "error"
    assert db.volume_get(volume["id"]).status == "available"  # given back with the reset
    assert api.post(path, {"os-force_delete": {}}).status_code == 202
    assert db.backup_get(backup["id"]).status == BackupStatus.DELETING


def test_export_and_import_a_record(api: Api, volume: dict[str, Any], service: str) -> None:
    backup = _backup(api, volume["id"], name="kept")
    _finish(backup["id"])
    record = api.get(f"/backups/{backup['id']}/export_record").json()["backup-record"]
    assert record["backup_service"].startswith("cinder.backup.drivers.")  # what Cinder's clients look for
    assert api.post("/backups/import_record", {"backup-record": record}).status_code == 400  # it exists
    db.transition("backup", backup["id"], backup_edge("delete.begin"))
    db.transition("backup", backup["id"], backup_edge("delete.done"), effects=db.Effects(destroy=True))
    imported = api.post("/backups/import_record", {"backup-record": record})
    assert imported.status_code == 201, imported.text
    assert imported.json()["backup"]["id"] == backup["id"]
    assert db.backup_get(backup["id"]).status == "available"
    bad = api.post("/backups/import_record", {"backup-record": {"backup_service": "ember.backup",
                                                                "backup_url": "bm90IGpzb24="}})
    assert bad.status_code == 400
