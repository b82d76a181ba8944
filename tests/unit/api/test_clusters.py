"""Clusters (3.7): a backend's volume service processes as one cluster; list, show, enable and disable."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from db import api as db
from db import models, session
from db.api._common import utcnow
from tests.unit.api.conftest import POOL, Api

BACKEND = POOL.split("#")[0]


@pytest.fixture
def cluster(api_db: None) -> None:
    for node in ("node-a", "node-b"):
        db.service_heartbeat(host=BACKEND, binary="ember-volume", topic="ember-volume", availability_zone="nova",
                             node=node, ha_role="active" if node == "node-a" else "standby", ha_epoch=1)
    db.service_heartbeat(host="h2", binary="ember-scheduler", topic="ember-scheduler", availability_zone="nova")
    services = models.table_of(models.Service)
    with session.writer() as conn:  # node-b stopped beating long ago
        conn.execute(sa.update(services).where(services.c.node == "node-b")
                     .values(heartbeat_at=utcnow() - timedelta(hours=1)))


@pytest.fixture
def admin(api: Api) -> Api:
    return api.as_(api.token, "3.7")


def test_list_detail_and_show_in_cinders_shape(admin: Api, cluster: None) -> None:
    assert admin.get("/clusters").json() == {"clusters": [
        {"name": BACKEND, "binary": "ember-volume", "state": "up", "status": "enabled"}]}
    (detailed,) = admin.get("/clusters/detail").json()["clusters"]
    assert (detailed["num_hosts"], detailed["num_down_hosts"], detailed["disabled_reason"]) == (2, 1, None)
    assert detailed["last_heartbeat"] and "services" not in detailed and "replication_status" not in detailed
    shown = admin.get(f"/clusters/{BACKEND}", params={"binary": "cinder-volume"}).json()["cluster"]
    assert shown == detailed
    assert admin.get("/clusters/no@such").status_code == 404
    assert admin.as_(admin.token, "3.6").get("/clusters").status_code == 404
    replicated = admin.as_(admin.token, "3.26").get(f"/clusters/{BACKEND}").json()["cluster"]
    assert (replicated["replication_status"], replicated["frozen"], replicated["active_backend_id"]) == (
        "not-capable", False, None)


def test_the_active_and_standby_only_when_asked(admin: Api, cluster: None) -> None:
    shown = admin.get(f"/clusters/{BACKEND}", params={"ha": "true"}).json()["cluster"]
    assert shown["active"] == "node-a"
    assert [(s["node"], s["state"], s["ha_role"]) for s in shown["services"]] == [
        ("node-a", "up", "active"), ("node-b", "down", "standby")]


def test_filters(admin: Api, cluster: None) -> None:
    def names(**params: str) -> list[str]:
        return [c["name"] for c in admin.get("/clusters/detail", params=params).json()["clusters"]]

    assert names(is_up="true") == [BACKEND] and names(is_up="false") == []
    assert names(num_hosts="2", num_down_hosts="1") == [BACKEND] and names(num_hosts="1") == []
    assert names(name="other") == [] and names(binary="cinder-volume", disabled="false") == [BACKEND]
    assert admin.get("/clusters", params={"is_up": "maybe"}).status_code == 400
    unknown = admin.get("/clusters/detail", params={"colour": "red"})
    assert unknown.status_code == 400 and "Invalid filter keys: colour" in unknown.text


def test_disable_closes_the_backend_to_the_scheduler_and_enable_opens_it(admin: Api, cluster: None) -> None:
    done = admin.put("/clusters/disable", {"name": BACKEND, "binary": "cinder-volume", "disabled_reason": "disks"})
    assert done.status_code == 200, done.text
    assert done.json()["cluster"] == {"name": BACKEND, "binary": "ember-volume", "state": "up",
                                      "status": "disabled", "disabled_reason": "disks"}
    assert db.service_hosts_closed("ember-volume", [BACKEND]) == {BACKEND: "disabled: disks"}
    assert {s["status"] for s in admin.get("/os-services", params={"binary": "cinder-volume"}).json()[
        "services"]} == {"disabled"}
    assert admin.put("/clusters/enable", {"name": BACKEND, "disabled_reason": "x"}).status_code == 400
    assert admin.put("/clusters/enable", {"name": BACKEND}).json()["cluster"]["status"] == "enabled"
    assert db.service_hosts_closed("ember-volume", [BACKEND]) == {}
    assert admin.put("/clusters/enable", {"name": "no@such"}).status_code == 404
    assert admin.put("/clusters/enable", {"name": "h2", "binary": "cinder-scheduler"}).status_code == 404
    assert admin.put("/clusters/enable", {}).status_code == 400


def test_clusters_are_for_the_cloud_admin(set_conf: Any, app_factory: Any, cluster: None) -> None:
    set_conf("noauth_admin_projects", ["admin"])
    user = Api(app_factory(), "alice:proj-a", "3.7")
    assert user.get("/clusters").status_code == 403
    assert user.put("/clusters/disable", {"name": BACKEND}).status_code == 403
    assert db.service_hosts_closed("ember-volume", [BACKEND]) == {}
