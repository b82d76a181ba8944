"""Per-volume-type quotas on a real MariaDB: parallel creates into a type with a limit of k admit exactly k,
and the usage they leave is exact (quota check finds nothing to sync)."""

from __future__ import annotations

import pytest

from db import api as db
from db import errors
from tests.helpers import race
from volume.states.volumes import Status, edge

pytestmark = pytest.mark.integration

DEFAULTS = {"volumes": 1000, "gigabytes": 10000}


def test_a_type_limit_of_seven_admits_exactly_seven_of_forty_on_mariadb(mariadb: str) -> None:
    gold = db.type_create(name="gold")
    keys = db.quota_keys()
    db.quota_set("t", {keys["volumes_gold"]: 7})
    db.quota_class_set(db.DEFAULT_QUOTA_CLASS, {keys["gigabytes_gold"]: 100})  # the class's, not hit here

    def create(i: int) -> object:
        # every other create has no type: only the project's own limits hold those
        return db.volume_create(project_id="t", user_id="u", size_gb=2, status=str(Status.CREATING),
                                availability_zone="nova", volume_type_id=gold.id if i % 2 else None,
                                quota_defaults=DEFAULTS)

    results = race(40, create)
    typed = results[1::2]
    accepted = [r for r in typed if not isinstance(r, Exception)]
    assert len(accepted) == 7
    refused = [r for r in typed if isinstance(r, Exception)]
    assert all(isinstance(r, errors.QuotaExceeded) and r.resource == "volumes_gold" for r in refused), refused
    assert [r for r in results[0::2] if isinstance(r, Exception)] == []
    usage = db.quota_get("t", DEFAULTS)
    assert usage["volumes_gold"] == (7, 7) and usage["gigabytes_gold"] == (100, 14)
    assert usage["volumes"] == (1000, 27) and usage["gigabytes"] == (10000, 54)
    assert db.quota_check() == []


def test_extends_racing_into_a_type_gigabytes_limit_stay_within_it_on_mariadb(mariadb: str) -> None:
    gold = db.type_create(name="gold")
    db.quota_set("e", {db.quota_keys()["gigabytes_gold"]: 10})
    volumes = [db.volume_create(project_id="e", user_id="u", size_gb=1, status=str(Status.CREATING),
                                availability_zone="nova", volume_type_id=gold.id) for _ in range(5)]
    for volume in volumes:
        assert db.volume_transition(volume.id, edge("create.done")) is not None
    # five extends of 1 -> 3 GB each ask 2 GB more; 5 GB are left: exactly two fit
    results = race(5, lambda i: db.volume_transition(volumes[i].id, edge("extend.begin"), quota={"gigabytes": 2},
                                                     quota_defaults={}, target_size_gb=3))
    assert None not in results  # each extend is of its own volume: none loses a swap
    assert sum(1 for r in results if not isinstance(r, Exception)) == 2
    assert all(isinstance(r, errors.QuotaExceeded) and r.resource == "gigabytes_gold"
               for r in results if isinstance(r, Exception))
    assert db.quota_get("e")["gigabytes_gold"] == (10, 9)
    assert db.quota_check() == []
