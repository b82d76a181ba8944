"""POST /workers/cleanup (3.24): the work of volume services that are down is taken from them."""

from __future__ import annotations

from typing import Any

from db import api as db
from tests.unit.api.conftest import POOL, Api, beat, make_available
from volume.states.volumes import Status

BACKEND = POOL.split("#")[0]


def _extending_claimed_by(api: Api, node: str) -> str:
    volume = api.create_volume()
    make_available(volume["id"])
    assert api.post(f"/volumes/{volume['id']}/action", {"os-extend": {"new_size": 2}}).status_code == 202
    assert db.work_claim(resource_type="volume", resource_id=volume["id"], operation="extend",
                         working_status=str(Status.EXTENDING), backend_host=BACKEND, node=node) is not None
    return str(volume["id"])


def test_cleanup_takes_a_dead_services_work_for_the_live_active(api: Api, casts: list[Any]) -> None:
    volume_id = _extending_claimed_by(api, "node-a")
    beat("node-a", age_s=3600)
    beat("node-b")
    response = api.as_(api.token, "3.24").post("/workers/cleanup", {"binary": "cinder-volume"})
    assert response.status_code == 202
    answer = response.json()
    assert [(s["host"], s["binary"]) for s in answer["cleaning"]] == [(BACKEND, "cinder-volume")]
    assert answer["unavailable"] == [] and db.work_list() == []
    assert ("recover", BACKEND, {}) in casts
    assert db.volume_get(volume_id).status == Status.EXTENDING  # the active resumes it


def test_cleanup_leaves_live_services_alone_and_says_when_nobody_can_resume(api: Api, casts: list[Any]) -> None:
    _extending_claimed_by(api, "node-a")
    beat("node-a")
    v324 = api.as_(api.token, "3.24")
    assert v324.post("/workers/cleanup", {}).json() == {"cleaning": [], "unavailable": [], "unfinished_attachments": []}
    assert len(db.work_list()) == 1
    beat("node-a", age_s=3600)
    answer = v324.post("/workers/cleanup", {"host": BACKEND, "resource_type": "Volume"}).json()
    assert answer["cleaning"] == [] and [s["host"] for s in answer["unavailable"]] == [BACKEND]
    assert api.post("/workers/cleanup", {}).status_code == 404  # before 3.24
    assert v324.post("/workers/cleanup", {"is_up": "sometimes"}).status_code == 400
