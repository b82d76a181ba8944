"""Compare-and-swap and quota reservations under concurrent threads (SQLite here, MariaDB in integration)."""

from __future__ import annotations

import pytest

from db import api as db
from db import errors
from db.records import Snapshot, Volume
from tests.helpers import race
from volume.states.snapshots import SnapshotStatus
from volume.states.volumes import Status, edge


def _volume(status: Status = Status.AVAILABLE, size_gb: int = 1, project: str = "p") -> Volume:
    volume = db.volume_create(project_id=project, user_id="u", size_gb=size_gb, status=str(Status.CREATING),
                              availability_zone="nova")
    if status != Status.CREATING:
        db.volume_transition(volume.id, (frozenset({str(Status.CREATING)}), str(status)))
    return db.volume_get(volume.id)


def test_conflicting_requests_on_one_volume_have_exactly_one_winner(sqlite_db: str) -> None:
    volume = _volume()

    def attempt(i: int) -> object:
        kind = i % 4
        if kind == 0:
            return db.volume_transition(volume.id, edge("extend.begin"), expected_version=volume.version)
        if kind == 1:
            return db.volume_transition(volume.id, edge("delete.begin"), expected_version=volume.version)
        if kind == 2:
            return db.volume_transition(volume.id, (frozenset(Status), str(Status.ERROR)),
                                        expected_version=volume.version)
        return db.snapshot_create(project_id="p", user_id="u", volume_id=volume.id, volume_version=volume.version,
                                  volume_claim=edge("snapshot.begin"), status=str(SnapshotStatus.CREATING))

    results = race(8, attempt)
    winners = [r for r in results if r is not None and not isinstance(r, Exception)]
    assert len(winners) == 1
    losers = [r for r in results if isinstance(r, Exception)]
    assert all(isinstance(e, errors.Conflict) for e in losers)
    assert db.volume_get(volume.id).version == volume.version + 1
    snapshots = db.snapshot_list(project_id="p")
    assert len(snapshots) == (1 if isinstance(winners[0], Snapshot) else 0)


def test_quota_reservations_are_atomic(sqlite_db: str) -> None:
    db.quota_set("q", {"volumes": 10})

    def create(_: int) -> object:
        return db.volume_create(project_id="q", user_id="u", size_gb=1, status=str(Status.CREATING),
                                availability_zone="nova")

    results = race(50, create)
    accepted = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(accepted) == 10
    assert all(isinstance(e, errors.QuotaExceeded) for e in refused)
    assert db.quota_get("q")["volumes"] == (10, 10)
    assert db.volume_count(project_id="q") == 10


def test_a_refused_reservation_changes_nothing(sqlite_db: str) -> None:
    db.quota_set("p", {"gigabytes": 5})
    volume = _volume(size_gb=4)
    before = db.quota_get("p")
    with pytest.raises(errors.QuotaExceeded):
        db.volume_transition(volume.id, edge("extend.begin"), expected_version=volume.version,
                             quota={"gigabytes": 2})
    assert db.volume_get(volume.id).status == Status.AVAILABLE
    assert db.quota_get("p") == before


def test_delete_gives_quota_back(sqlite_db: str) -> None:
    volume = _volume(size_gb=3)
    assert db.quota_get("p")["gigabytes"][1] == 3
    db.volume_transition(volume.id, edge("delete.begin"))
    assert db.volume_destroy(volume.id, edge("delete.done"))
    assert db.quota_get("p")["gigabytes"][1] == 0
    with pytest.raises(errors.NotFound):
        db.volume_get(volume.id)


def test_listing_pages_with_marker_cover_every_row_once(sqlite_db: str) -> None:
    ids = {_volume().id for _ in range(7)}
    seen: list[str] = []
    marker = None
    while True:
        page = db.volume_list(project_id="p", sort=[("size_gb", "asc"), ("created_at", "desc")], limit=3,
                              marker=marker)
        if not page:
            break
        seen.extend(v.id for v in page)
        marker = page[-1].id
    assert sorted(seen) == sorted(ids)


def test_the_configured_defaults_limit_a_project_without_limits_of_its_own(sqlite_db: str) -> None:
    defaults = {"volumes": 2, "gigabytes": 1000}
    for _ in range(2):
        db.volume_create(project_id="d", user_id="u", size_gb=1, status=str(Status.CREATING),
                         availability_zone="nova", quota_defaults=defaults)
    with pytest.raises(errors.QuotaExceeded):
        db.volume_create(project_id="d", user_id="u", size_gb=1, status=str(Status.CREATING),
                         availability_zone="nova", quota_defaults=defaults)
    assert db.quota_get("d", defaults)["volumes"] == (2, 2)
    db.quota_set("d", {"volumes": 3})  # its own limit wins over the default
    db.volume_create(project_id="d", user_id="u", size_gb=1, status=str(Status.CREATING),
                     availability_zone="nova", quota_defaults=defaults)
