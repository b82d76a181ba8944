"""os-services with Cinder's binary names, disable and freeze, and what the scheduler makes of them."""

from __future__ import annotations

from typing import Any

import pytest

from common.context import RequestContext
from db import api as db
from scheduler.manager import SchedulerManager
from scheduler.pool_cache import PoolCache
from tests.unit.api.conftest import POOL, Api, make_available
from volume.states.volumes import Status

BACKEND = POOL.split("#")[0]


@pytest.fixture
def two_nodes(api_db: None) -> None:
    for node in ("node-a", "node-b"):
        db.service_heartbeat(host=BACKEND, binary="ember-volume", topic="ember-volume", availability_zone="nova",
                             node=node)


@pytest.mark.parametrize("binary", ["cinder-volume", "ember-volume"])
def test_cinder_binary_names_find_and_disable_ember_services(api: Api, two_nodes: None, binary: str) -> None:
    listed = api.get("/os-services", params={"binary": binary, "ha": "true"}).json()["services"]
    assert {(s["host"], s["node"], s["binary"], s["ember_binary"]) for s in listed} == {
        (BACKEND, "node-a", "cinder-volume", "ember-volume"), (BACKEND, "node-b", "cinder-volume", "ember-volume")}
    changed = api.put("/os-services/disable", {"host": BACKEND, "binary": binary})
    assert changed.status_code == 200 and changed.json()["status"] == "disabled"
    assert {s["status"] for s in api.get("/os-services").json()["services"]} == {"disabled"}


def test_a_process_registering_later_takes_its_hosts_settings(api: Api, two_nodes: None) -> None:
    api.put("/os-services/disable-log-reason", {"host": BACKEND, "binary": "cinder-volume",
                                                "disabled_reason": "new disks"})
    db.service_heartbeat(host=BACKEND, binary="ember-volume", topic="ember-volume", availability_zone="nova",
                         node="node-c")
    rows = {s["node"]: s for s in api.get("/os-services", params={"ha": "true"}).json()["services"]}
    assert rows["node-c"]["status"] == "disabled" and rows["node-c"]["disabled_reason"] == "new disks"


def test_freeze_and_thaw_take_the_host_alone(api: Api, two_nodes: None) -> None:
    frozen = api.put("/os-services/freeze", {"host": BACKEND})
    assert frozen.status_code == 200 and frozen.json()["frozen"] is True
    assert all(s["frozen"] for s in api.get("/os-services").json()["services"])
    assert api.put("/os-services/thaw", {"host": BACKEND}).json()["frozen"] is False
    assert api.put("/os-services/freeze", {"host": "nowhere@x"}).status_code == 400  # Cinder's answer
    assert api.put("/os-services/fly", {"host": BACKEND}).status_code == 400


def test_a_frozen_backend_refuses_new_work_on_its_volumes(api: Api, two_nodes: None, casts: list[Any]) -> None:
    volume = api.create_volume()
    make_available(volume["id"])
    api.put("/os-services/freeze", {"host": BACKEND})
    for request in (lambda: api.post(f"/volumes/{volume['id']}/action", {"os-extend": {"new_size": 2}}),
                    lambda: api.delete(f"/volumes/{volume['id']}"),
                    lambda: api.post("/snapshots", {"snapshot": {"volume_id": volume["id"]}})):
        response = request()
        assert response.status_code == 400
        assert "frozen" in response.json()["badRequest"]["message"]
    assert db.volume_get(volume["id"]).status == Status.AVAILABLE and casts == []
    api.put("/os-services/thaw", {"host": BACKEND})
    assert api.post(f"/volumes/{volume['id']}/action", {"os-extend": {"new_size": 2}}).status_code == 202


class _NoCasts:
    def create_volume(self, ctx: RequestContext, backend_host: str, *, volume_id: str) -> None:
        raise AssertionError(f"no volume may be placed on {backend_host}")


@pytest.mark.parametrize(("action", "why"), [("disable-log-reason", "disabled: new disks"), ("freeze", "frozen")])
def test_the_scheduler_skips_a_closed_backend_with_a_readable_reason(api: Api, two_nodes: None, action: str,
                                                                     why: str, caplog: pytest.LogCaptureFixture) -> None:
    api.put(f"/os-services/{action}", {"host": BACKEND, "binary": "ember-volume", "disabled_reason": "new disks"})
    volume = db.volume_create(project_id="p", user_id="u", size_gb=1, status=str(Status.CREATING),
                              availability_zone="nova")
    scheduler = SchedulerManager(pool_cache=PoolCache(ttl_s=0, fresh_within_s=60),
                                 volume_client=_NoCasts())  # type: ignore[arg-type]
    scheduler.create_volume(RequestContext.service("test"), volume.id)
    failed = db.volume_get(volume.id)
    assert failed.status == Status.ERROR and failed.host is None
    # the project reads that no backend takes volumes now; which one, and why, is the operator's (the log)
    (message,) = db.message_list(project_id="p")
    assert failed.status_reason == message.user_message == (
        "schedule allocate volume: Every backend is closed to new volumes (disabled or frozen).")
    assert message.event_id == "VOLUME_VOLUME_001_108"
    assert f"{BACKEND} is {why}" in caplog.text and volume.id in caplog.text


def test_services_answer_in_cinders_keys_and_ha_state_only_when_asked(api: Api, two_nodes: None) -> None:
    plain = api.get("/os-services").json()["services"]
    assert {frozenset(s) for s in plain} == {frozenset({"binary", "host", "zone", "status", "state", "updated_at",
                                                        "disabled_reason", "frozen"})}
    # from 3.7 a backend's volume services name their cluster, which is the backend's host
    assert {s["cluster"] for s in api.as_(api.token, "3.7").get("/os-services").json()["services"]} == {BACKEND}
    asked = api.get("/os-services", params={"ha": "true"}).json()["services"]
    assert {s["node"] for s in asked} == {"node-a", "node-b"} and all("ha_role" in s for s in asked)
    enabled = api.put("/os-services/enable", {"host": BACKEND, "binary": "cinder-volume"}).json()
    assert enabled == {"host": BACKEND, "service": "cinder-volume", "binary": "cinder-volume", "disabled": False,
                       "status": "enabled", "disabled_reason": None}
    disabled = api.put("/os-services/disable", {"host": BACKEND, "binary": "cinder-volume"}).json()
    assert set(disabled) == {"host", "service", "binary", "disabled", "status"} and disabled["disabled"] is True
    no_reason = api.put("/os-services/disable-log-reason", {"host": BACKEND, "binary": "cinder-volume",
                                                            "disabled_reason": None})
    assert no_reason.status_code == 400
    assert api.put("/os-services/disable", {"host": BACKEND, "binary": "nonsense"}).status_code == 404


def test_os_hosts_lists_hosts_once_with_cinders_service_names_and_shows_a_volume_hosts_use(
        api: Api, two_nodes: None) -> None:
    db.service_heartbeat(host="sched-1", binary="ember-scheduler", topic="ember-scheduler", availability_zone="nova")
    make_available(api.create_volume(3)["id"])
    hosts = api.get("/os-hosts").json()["hosts"]
    assert sorted((h["host_name"], h["service"], h["service-state"]) for h in hosts) == [
        (BACKEND, "cinder-volume", "enabled"), ("sched-1", "cinder-scheduler", "enabled")]
    shown = api.get(f"/os-hosts/{BACKEND}")
    assert shown.status_code == 200
    total, project = shown.json()["host"]
    assert total["resource"] == {"host": BACKEND, "project": "(total)", "volume_count": "1", "total_volume_gb": "3",
                                 "snapshot_count": "0", "total_snapshot_gb": "0"}
    assert (project["resource"]["project"], project["resource"]["volume_count"]) == ("proj-a", "1")
    assert api.get("/os-hosts/sched-1").status_code == 404  # no volume service there


def test_services_host_filter_takes_the_host_and_its_backends(api: Api, two_nodes: None) -> None:
    db.service_heartbeat(host="host", binary="ember-scheduler", topic="ember-scheduler", availability_zone="nova")
    db.service_heartbeat(host="hostess", binary="ember-scheduler", topic="ember-scheduler", availability_zone="nova")
    assert BACKEND.startswith("host@")
    listed = api.get("/os-services", params={"host": "host"}).json()["services"]
    assert sorted((s["host"], s["binary"]) for s in listed) == [
        ("host", "cinder-scheduler"), (BACKEND, "cinder-volume"), (BACKEND, "cinder-volume")]
    exact = api.get("/os-services", params={"host": BACKEND}).json()["services"]
    assert {s["host"] for s in exact} == {BACKEND}
