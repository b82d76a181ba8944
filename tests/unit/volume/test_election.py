"""Election and fencing on SQLite, with two managers of one backend in one process.

Time is moved by the tests (an expired lease is written into the DB, a deadline set in the
past), never waited for.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from datetime import timedelta

import pytest
import sqlalchemy as sa
from oslo_config import cfg

from common.context import RequestContext
from db import api as db
from db import errors as db_errors
from db import models, session
from db.api._common import utcnow
from drivers.noop import NoopDriver
from volume.election.base import Lease
from volume.election.sql import SqlElector
from volume.ha import ACTIVE, STANDBY, BackendSupervisor
from volume.manager import BackendIdentity, VolumeManager
from volume.recovery import resume_stuck_work
from volume.states.volumes import Status, edge

BACKEND = "cluster@noop-1"
CTX = RequestContext.service("test")


def _expire(backend_host: str = BACKEND) -> None:
    """What the passing of the lease's TTL looks like in the DB."""
    leases = models.table_of(models.BackendLease)
    with session.writer() as conn:
        conn.execute(sa.update(leases).where(leases.c.backend_host == backend_host)
                     .values(expires_at=utcnow() - timedelta(hours=1)))


@pytest.fixture
def manager_of(sqlite_db: str, conf: cfg.ConfigOpts, overrides: Callable[..., None]) -> Callable[[str], VolumeManager]:
    from drivers import options as driver_options

    driver_options.register_backend(conf, "noop-1")
    overrides("volume_driver", "noop", group="noop-1")

    def build(node: str) -> VolumeManager:
        identity = BackendIdentity(backend_host=BACKEND, backend_name="noop-1", availability_zone="nova",
                                   reserved_percentage=0, max_over_subscription_ratio=1.0, service_host=node)
        return VolumeManager(driver=NoopDriver(conf, "noop-1"), identity=identity)

    return build


def _placed_volume(status: Status = Status.CREATING) -> str:
    volume = db.volume_create(project_id="p", user_id="u", size_gb=1, status=str(Status.CREATING),
                              availability_zone="nova")
    db.pool_report(BACKEND, [{"name": f"{BACKEND}#noop", "volume_backend_name": "noop-1",
                              "availability_zone": "nova", "total_capacity_gb": 100, "free_capacity_gb": 100}])
    assert db.volume_schedule(volume.id, pool_name=f"{BACKEND}#noop", size_gb=1, creating_status=str(Status.CREATING))
    return volume.id


def test_one_holder_at_a_time_and_every_takeover_a_new_epoch(sqlite_db: str) -> None:
    elector = SqlElector(ttl_s=30)
    a = elector.campaign(BACKEND, "node-a")
    assert a is not None and a.epoch == 1 and a.valid()
    assert elector.campaign(BACKEND, "node-b") is None          # a holds it
    assert elector.renew(a) is not None
    _expire()                                                   # a stopped renewing: its TTL passed
    b = elector.campaign(BACKEND, "node-b")
    assert b is not None and b.epoch == 2
    assert elector.renew(a) is None                             # a, waking up, has lost it
    assert elector.campaign(BACKEND, "node-a") is None
    elector.release(b)                                          # a clean stop: at once free
    c = elector.campaign(BACKEND, "node-a")
    assert c is not None and c.epoch == 3
    assert db.backend_get(BACKEND).holder == "node-a"


def test_a_lease_past_its_deadline_stops_the_manager_acting(manager_of: Callable[[str], VolumeManager]) -> None:
    manager = manager_of("node-a")
    manager.lease = SqlElector(ttl_s=30).campaign(BACKEND, "node-a")
    volume_id = _placed_volume()
    assert manager.lease is not None
    manager.lease = dataclasses.replace(manager.lease, deadline=time.monotonic() - 1)  # partitioned past it
    manager.create_volume(CTX, volume_id)
    assert db.volume_get(volume_id).status == Status.CREATING and db.work_list() == []


def test_a_paused_old_active_lands_nothing_after_a_takeover(manager_of: Callable[[str], VolumeManager],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    elector = SqlElector(ttl_s=30)
    old, new = manager_of("node-a"), manager_of("node-b")
    old.lease = elector.campaign(BACKEND, "node-a")
    volume_id = _placed_volume()
    taken_over: list[Lease | None] = []

    def paused_during_the_driver_call(volume_id: str, size_gb: int, **_: object) -> None:
        # node-a is stopped here (SIGSTOP) long enough for node-b to take the backend over
        _expire()
        taken_over.append(elector.campaign(BACKEND, "node-b"))

    monkeypatch.setattr(old._driver, "create_volume", paused_during_the_driver_call)
    old.create_volume(CTX, volume_id)                # wakes up, tries to land available
    (lease_b,) = taken_over
    assert lease_b is not None and lease_b.epoch == 2
    assert not old.acting()                          # it knows it was fenced
    assert db.volume_get(volume_id).status == Status.CREATING
    (work,) = db.work_list()
    assert (work.service_host, work.epoch) == ("node-a", 1)
    with pytest.raises(db_errors.Fenced):
        db.pool_report(BACKEND, old.pool_reports(), epoch=1)

    new.lease = lease_b
    assert resume_stuck_work(new, older_than_s=0) == 1   # takeover recovery redoes the create
    assert db.volume_get(volume_id).status == Status.AVAILABLE
    assert db.work_list() == []


def test_a_standby_does_nothing_with_a_message_it_receives(manager_of: Callable[[str], VolumeManager]) -> None:
    active, standby = manager_of("node-a"), manager_of("node-b")
    active.lease = SqlElector(ttl_s=30).campaign(BACKEND, "node-a")
    volume_id = _placed_volume()
    standby.create_volume(CTX, volume_id)
    assert resume_stuck_work(standby, older_than_s=0) == 0
    assert db.volume_get(volume_id).status == Status.CREATING
    active.create_volume(CTX, volume_id)
    assert db.volume_get(volume_id).status == Status.AVAILABLE


class _Server:
    def __init__(self, log: list[str]) -> None:
        self.log = log

    def start(self) -> None:
        self.log.append("start")

    def stop(self) -> None:
        self.log.append("stop")

    def wait(self) -> None:
        self.log.append("wait")


class _Elector:
    """Hands out leases as the test says (recording each epoch in the DB, as etcd's and Consul's do)."""

    ttl_s = 30.0

    def __init__(self) -> None:
        self.win = True
        self.keep = True
        self.released: list[int] = []

    def campaign(self, backend_host: str, node: str) -> Lease | None:
        if not self.win:
            return None
        epoch = db.backend_epoch_advance(backend_host, node=node)
        return Lease(backend_host, node, epoch, time.monotonic() + self.ttl_s)

    def renew(self, lease: Lease) -> Lease | None:
        return lease.extended(sent_at=time.monotonic(), ttl_s=self.ttl_s) if self.keep else None

    def release(self, lease: Lease) -> None:
        self.released.append(lease.epoch)

    def close(self) -> None:
        pass


def _supervisor(manager: VolumeManager, elector: _Elector, log: list[str],
                recovered: list[int]) -> BackendSupervisor:
    supervisor = BackendSupervisor(manager=manager, elector=elector, make_server=lambda: _Server(log),
                                   recover=lambda: recovered.append(1), standby_poll_s=0.01)
    supervisor.on_change(lambda: log.append(f"role {supervisor.role}"))
    return supervisor


def test_the_supervisor_serves_only_while_it_holds_the_lease(manager_of: Callable[[str], VolumeManager]) -> None:
    manager, elector = manager_of("node-a"), _Elector()
    log: list[str] = []
    recovered: list[int] = []
    supervisor = _supervisor(manager, elector, log, recovered)
    elector.win = False
    supervisor._campaign()
    assert supervisor.role == STANDBY and log == []     # a standby consumes nothing
    elector.win = True
    supervisor._campaign()
    assert supervisor.role == ACTIVE and log[0] == "start"
    deadline = time.monotonic() + 5
    while not recovered and time.monotonic() < deadline:  # takeover recovery runs on its own thread
        time.sleep(0.01)
    assert recovered == [1] and "role active" in log
    elector.keep = False
    assert manager.lease is not None
    supervisor._keep(manager.lease)                      # the renewal fails: step down at once
    assert supervisor.role == STANDBY and manager.lease is None
    assert "stop" in log and log[-1] == "role standby"


def test_a_clean_stop_releases_the_lease_after_the_server(manager_of: Callable[[str], VolumeManager]) -> None:
    manager, elector = manager_of("node-a"), _Elector()
    log: list[str] = []
    supervisor = _supervisor(manager, elector, log, [])
    supervisor._campaign()
    supervisor.stop()
    assert "stop" in log and elector.released == [1] and manager.lease is None


def test_fenced_writes_change_nothing_in_every_volume_side_table(manager_of: Callable[[str], VolumeManager]) -> None:
    elector = SqlElector(ttl_s=30)
    lease = elector.campaign(BACKEND, "node-a")
    assert lease is not None
    volume_id = _placed_volume()
    claim = db.work_claim(resource_type="volume", resource_id=volume_id, operation="create",
                          working_status=str(Status.CREATING), backend_host=BACKEND, node="node-a",
                          epoch=lease.epoch)
    assert claim is not None
    _expire()
    assert elector.campaign(BACKEND, "node-b") is not None
    with pytest.raises(db_errors.Fenced):
        db.volume_transition(volume_id, edge("create.done"), claim=claim)
    with pytest.raises(db_errors.Fenced):
        db.work_claim(resource_type="volume", resource_id=volume_id, operation="create",
                      working_status=str(Status.CREATING), backend_host=BACKEND, node="node-a", epoch=lease.epoch)
    assert db.volume_get(volume_id).status == Status.CREATING

