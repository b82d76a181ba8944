"""Admin actions never race a volume service, and quota never drifts through them.

os-reset_status and os-force_delete are refused while a live service holds the resource
(tracked work, fresh heartbeat); a dead holder's claim is taken away first, so its late landing
changes nothing; an operation that was only queued is dropped with its reservation given back.
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from db import api as db
from db import errors as db_errors
from db import models, session
from db.records import WorkClaim
from tests.unit.api.conftest import POOL, Api, beat, make_available
from volume.states.snapshots import SnapshotStatus, snapshot_edge
from volume.states.volumes import Status, edge

BACKEND = POOL.split("#")[0]


def _gigabytes(project: str = "proj-a") -> int:
    return db.quota_get(project)["gigabytes"][1]


@pytest.fixture
def extending(api: Api, casts: list[Any]) -> str:
    """A 1 GB volume whose extend to 2 GB was accepted (its cast recorded, not delivered)."""
    volume = api.create_volume()
    make_available(volume["id"])
    assert api.post(f"/volumes/{volume['id']}/action", {"os-extend": {"new_size": 2}}).status_code == 202
    assert _gigabytes() == 2
    return str(volume["id"])


def _claim(volume_id: str, node: str = "node-a") -> WorkClaim:
    claim = db.work_claim(resource_type="volume", resource_id=volume_id, operation="extend",
                          working_status=str(Status.EXTENDING), backend_host=BACKEND, node=node)
    assert claim is not None
    return claim


@pytest.mark.parametrize("action", [{"os-reset_status": {"status": "available"}}, {"os-force_delete": {}}])
def test_refused_while_a_live_service_works_on_the_volume(api: Api, extending: str, action: dict[str, Any]) -> None:
    _claim(extending)
    beat("node-a")
    before = db.volume_get(extending)
    response = api.post(f"/volumes/{extending}/action", action)
    assert response.status_code == 400
    message = response.json()["badRequest"]["message"]
    assert "busy" in message and "node-a" in message and "extend" in message and "cleanup" in message
    assert db.volume_get(extending) == before
    assert [w.resource_id for w in db.work_list()] == [extending]
    assert db.quota_check() == []


def test_a_dead_holders_claim_is_taken_away_and_its_late_landing_changes_nothing(api: Api, extending: str) -> None:
    claim = _claim(extending)
    beat("node-a", age_s=3600)  # the process that claimed it stopped beating an hour ago
    assert api.post(f"/volumes/{extending}/action", {"os-reset_status": {"status": "available"}}).status_code == 202
    reset = db.volume_get(extending)
    assert (reset.status, reset.size_gb, reset.target_size_gb) == (Status.AVAILABLE, 1, None)
    assert db.work_list() == [] and _gigabytes() == 1
    with pytest.raises(db_errors.ClaimLost):  # the old holder wakes up and tries to land its extend
        db.volume_transition(extending, edge("extend.done"), claim=claim, size_gb=2, target_size_gb=None)
    assert db.volume_get(extending) == reset
    assert db.quota_check() == []


def test_a_queued_extend_is_dropped_its_quota_given_back_and_its_user_told(api: Api, extending: str) -> None:
    assert api.post(f"/volumes/{extending}/action", {"os-reset_status": {"status": "available"}}).status_code == 202
    assert _gigabytes() == 1 and db.volume_get(extending).target_size_gb is None
    (message,) = db.message_list(project_id="proj-a")
    assert message.resource_uuid == extending and "extend" in message.user_message
    assert db.work_claim(resource_type="volume", resource_id=extending, operation="extend",
                         working_status=str(Status.EXTENDING), backend_host=BACKEND, node="n") is None
    assert db.quota_check() == []


def test_force_delete_of_an_extending_volume_gives_back_the_pending_gigabytes(api: Api, extending: str) -> None:
    assert api.post(f"/volumes/{extending}/action", {"os-force_delete": {}}).status_code == 202
    volume = db.volume_get(extending)
    assert db.volume_destroy(volume.id, edge("delete.done")) is not None
    assert _gigabytes() == 0 and db.quota_get("proj-a")["volumes"][1] == 0
    assert db.quota_check() == []


def test_snapshot_reset_is_refused_while_a_live_service_creates_it(api: Api) -> None:
    volume = api.create_volume()
    make_available(volume["id"])
    snapshot = api.post("/snapshots", {"snapshot": {"volume_id": volume["id"]}}).json()["snapshot"]
    claim = db.work_claim(resource_type="snapshot", resource_id=snapshot["id"], operation="create",
                          working_status=str(SnapshotStatus.CREATING), backend_host=BACKEND, node="node-a")
    assert claim is not None
    beat("node-a")
    actions: list[dict[str, Any]] = [{"os-reset_status": {"status": "error"}}, {"os-force_delete": {}}]
    for action in actions:
        response = api.post(f"/snapshots/{snapshot['id']}/action", action)
        assert response.status_code == 400 and "busy" in response.json()["badRequest"]["message"]
    beat("node-a", age_s=3600)
    assert api.post(f"/snapshots/{snapshot['id']}/action", {"os-reset_status": {"status": "error"}}).status_code == 202
    with pytest.raises(db_errors.ClaimLost):
        db.snapshot_transition(snapshot["id"], snapshot_edge("create.done"), claim=claim)
    assert db.snapshot_get(snapshot["id"]).status == SnapshotStatus.ERROR


def test_quota_check_reports_drift_and_sync_repairs_it(api: Api) -> None:
    volume = api.create_volume(size=3)
    make_available(volume["id"])
    assert db.quota_check() == []
    usages = models.table_of(models.QuotaUsage)
    pools = models.table_of(models.Pool)
    with session.writer() as conn:
        conn.execute(sa.update(usages).where(usages.c.resource == "gigabytes").values(in_use=11))
        conn.execute(sa.update(pools).values(allocated_capacity_gb=0))
    drifts = {(d.kind, d.resource): (d.recorded, d.actual) for d in db.quota_check()}
    assert drifts == {("quota", "gigabytes"): (11, 3), ("pool", "allocated_capacity_gb"): (0, 3)}
    assert len(db.quota_sync()) == 2
    assert db.quota_check() == [] and _gigabytes() == 3


def test_extend_waits_for_a_snapshot_being_created(api: Api, casts: list[Any]) -> None:
    volume = api.create_volume()
    make_available(volume["id"])
    snapshot = api.post("/snapshots", {"snapshot": {"volume_id": volume["id"]}}).json()["snapshot"]
    refused = api.post(f"/volumes/{volume['id']}/action", {"os-extend": {"new_size": 2}})
    assert refused.status_code == 400 and "snapshot" in refused.json()["badRequest"]["message"]
    assert db.volume_get(volume["id"]).status == Status.AVAILABLE and _gigabytes() == 2  # volume + snapshot
    db.snapshot_transition(snapshot["id"], snapshot_edge("create.done"))
    assert api.post(f"/volumes/{volume['id']}/action", {"os-extend": {"new_size": 2}}).status_code == 202
