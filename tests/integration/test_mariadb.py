"""The DB layer on a real MariaDB: migrations vs models, concurrent db sync, races decided by commit."""

from __future__ import annotations

import functools
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from db import api as db
from db import errors, migrate, session
from db.models import Base
from db.records import Snapshot
from tests.helpers import race
from volume.states.snapshots import SnapshotStatus
from volume.states.volumes import Status, edge

pytestmark = pytest.mark.integration




def test_migrations_create_exactly_the_models(mariadb: str) -> None:
    with session.engine().connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_two_db_syncs_at_once_both_succeed(mariadb_url: str, tmp_path: Path) -> None:
    conf_file = tmp_path / "ember.conf"
    conf_file.write_text(f"[DEFAULT]\nstate_path = {tmp_path}\n[database]\nconnection = {mariadb_url}\n")
    manage = str(Path(sys.executable).parent / "ember-manage")
    procs = [subprocess.Popen([manage, "--config-file", str(conf_file), "db", "sync"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    engine = sa.create_engine(mariadb_url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM volume_types").scalar() == 1
        assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == migrate.head_revision()
    engine.dispose()


def test_conflicting_requests_have_exactly_one_winner_on_mariadb(mariadb: str) -> None:
    for _ in range(5):
        created = db.volume_create(project_id="p", user_id="u", size_gb=1, status=str(Status.CREATING),
                                   availability_zone="nova")
        volume = db.volume_transition(created.id, edge("create.done"))
        assert volume is not None

        def attempt(i: int, volume_id: str = volume.id, version: int = volume.version) -> object:
            if i % 4 == 0:
                return db.volume_transition(volume_id, edge("extend.begin"), expected_version=version)
            if i % 4 == 1:
                return db.volume_transition(volume_id, edge("delete.begin"), expected_version=version)
            if i % 4 == 2:
                return db.volume_transition(volume_id, (frozenset(Status), str(Status.ERROR)),
                                            expected_version=version)
            return db.snapshot_create(project_id="p", user_id="u", volume_id=volume_id, volume_version=version,
                                      volume_claim=edge("snapshot.begin"), status=str(SnapshotStatus.CREATING))

        results = race(8, attempt)
        winners = [r for r in results if r is not None and not isinstance(r, Exception)]
        assert len(winners) == 1, results
        assert all(isinstance(r, errors.Conflict) for r in results if isinstance(r, Exception))
        snapshots = [s for s in db.snapshot_list(project_id="p") if s.volume_id == volume.id]
        assert len(snapshots) == (1 if isinstance(winners[0], Snapshot) else 0)


def test_quota_of_ten_admits_exactly_ten_of_fifty_on_mariadb(mariadb: str) -> None:
    db.quota_set("q", {"volumes": 10})
    results = race(50, lambda _: db.volume_create(project_id="q", user_id="u", size_gb=1,
                                                   status=str(Status.CREATING), availability_zone="nova"))
    accepted = [r for r in results if not isinstance(r, Exception)]
    assert len(accepted) == 10
    assert all(isinstance(r, errors.QuotaExceeded) for r in results if isinstance(r, Exception))
    assert db.quota_get("q")["volumes"] == (10, 10)


def test_a_new_projects_first_creates_at_once_are_all_admitted_on_mariadb(mariadb: str) -> None:
    # no usage row exists yet: the creates race to insert it, and none may be refused for that
    for project in ("fresh-1", "fresh-2", "fresh-3"):
        db.quota_set(project, {"volumes": -1})
        results = race(12, functools.partial(_create_in, project))
        assert [r for r in results if isinstance(r, Exception)] == []
        assert db.quota_get(project, DEFAULTS)["gigabytes"] == (1000, 12)


DEFAULTS = {"gigabytes": 1000}


def _create_in(project_id: str, _: int) -> object:
    return db.volume_create(project_id=project_id, user_id="u", size_gb=1, status=str(Status.CREATING),
                            availability_zone="nova", quota_defaults=DEFAULTS)


def test_pool_claims_never_overcommit_on_mariadb(mariadb: str) -> None:
    db.pool_report("h@b", [{"name": "h@b#p", "volume_backend_name": "b", "availability_zone": "nova",
                            "total_capacity_gb": 7, "free_capacity_gb": 7, "reserved_percentage": 0,
                            "max_over_subscription_ratio": 1.0, "thin_provisioning_support": False,
                            "capabilities": {}}])
    db.quota_set("p", {"volumes": -1})
    volumes = [db.volume_create(project_id="p", user_id="u", size_gb=1, status=str(Status.CREATING),
                                availability_zone="nova") for _ in range(20)]
    results = race(20, lambda i: db.volume_schedule(volumes[i].id, pool_name="h@b#p", size_gb=1,
                                                     creating_status=str(Status.CREATING)))
    assert results.count(True) == 7
    assert db.pool_list()[0].allocated_capacity_gb == 7
