"""Idempotency-Key: a retried POST gets the first answer, never a second resource."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from api import idempotency as api_idempotency
from db import api as db
from db import errors, models, session
from db.api import idempotency as db_idempotency
from db.api._common import utcnow
from db.api.idempotency import TAKEOVER_AFTER
from db.models import table_of
from db.records import IdempotencyClaim
from tests.unit.api.conftest import Api

BODY = {"volume": {"size": 1, "name": "once"}}


def test_repeat_replays_the_first_answer(api: Api) -> None:
    key = {"Idempotency-Key": "k-1"}
    first = api.post("/volumes", BODY, headers=key)
    again = api.post("/volumes", BODY, headers=key)
    assert first.status_code == again.status_code == 202
    assert again.json() == first.json()
    assert again.headers["Idempotency-Replayed"] == "true"
    assert "Idempotency-Replayed" not in first.headers
    assert db.volume_count(project_id="proj-a") == 1


def test_keys_are_per_project(api: Api) -> None:
    api.post("/volumes", BODY, headers={"Idempotency-Key": "shared"})
    other = api.as_("bob:proj-b").post("/volumes", BODY, headers={"Idempotency-Key": "shared"})
    assert other.status_code == 202 and "Idempotency-Replayed" not in other.headers
    assert db.volume_count(project_id=None) == 2


def test_failed_first_request_forgets_the_key(api: Api) -> None:
    key = {"Idempotency-Key": "k-2"}
    assert api.post("/volumes", {"volume": {"size": 0}}, headers=key).status_code == 400
    retried = api.post("/volumes", BODY, headers=key)
    assert retried.status_code == 202 and "Idempotency-Replayed" not in retried.headers


def test_repeat_while_the_first_still_runs_waits_for_its_answer(api: Api) -> None:
    first = _claim("k-3")
    assert db.idempotency_claim(first, "/v3/volumes") is None  # a first request in flight
    answer = '{"volume": {"id": "from-the-first-run"}}'
    timer = threading.Timer(0.3, lambda: db.idempotency_store(first, status_code=202, body=answer))
    timer.start()
    response = api.post("/volumes", BODY, headers={"Idempotency-Key": "k-3"})
    timer.join()
    assert response.status_code == 202 and response.json() == {"volume": {"id": "from-the-first-run"}}
    assert response.headers["Idempotency-Replayed"] == "true"
    assert db.volume_count(project_id=None) == 0


def test_key_reused_on_another_path_is_a_400(api: Api) -> None:
    api.post("/volumes", BODY, headers={"Idempotency-Key": "k-4"})
    response = api.post("/types", {"volume_type": {"name": "x"}}, headers={"Idempotency-Key": "k-4"})
    assert response.status_code == 400
    assert all(t.name != "x" for t in db.type_list(include_private=True))


@pytest.mark.parametrize("key", ["", "x" * 256])
def test_unusable_key_is_a_400(api: Api, key: str) -> None:
    assert api.post("/volumes", BODY, headers={"Idempotency-Key": key}).status_code == 400
    assert db.volume_count(project_id=None) == 0


def test_the_project_in_the_url_does_not_change_the_key(api: Api) -> None:
    key = {"Idempotency-Key": "k-5", "X-Auth-Token": "alice:proj-a"}
    first = api.client.post("/v3/proj-a/volumes", json=BODY, headers=key)
    again = api.client.post("/v3/volumes", json=BODY, headers=key)
    assert again.json() == first.json() and again.headers["Idempotency-Replayed"] == "true"


def test_a_first_run_that_died_after_creating_is_answered_from_its_volume(api: Api) -> None:
    # the first api process claimed the key and committed the volume, then died before answering
    first = _claim("k-crash")
    assert db.idempotency_claim(first, "/v3/volumes") is None
    created = db.volume_create(project_id="proj-a", user_id="alice", size_gb=1, status="creating",
                               availability_zone="nova", name="once", idempotency=first)
    retried = api.post("/volumes", BODY, headers={"Idempotency-Key": "k-crash"})
    assert retried.status_code == 202
    assert retried.json()["volume"]["id"] == created.id
    assert db.volume_count(project_id="proj-a") == 1
    again = api.post("/volumes", BODY, headers={"Idempotency-Key": "k-crash"})
    assert again.json()["volume"]["id"] == created.id and again.headers["Idempotency-Replayed"] == "true"


def test_a_claim_abandoned_before_creating_anything_is_taken_over(api: Api) -> None:
    assert db.idempotency_claim(_claim("k-dead"), "/v3/volumes") is None
    _age_claims()
    retried = api.post("/volumes", BODY, headers={"Idempotency-Key": "k-dead"})
    assert retried.status_code == 202 and "Idempotency-Replayed" not in retried.headers
    assert db.volume_count(project_id="proj-a") == 1


def test_a_slow_first_run_whose_claim_was_taken_over_creates_nothing(api: Api) -> None:
    slow = _claim("k-slow")
    assert db.idempotency_claim(slow, "/v3/volumes") is None
    _age_claims()
    retried = api.post("/volumes", BODY, headers={"Idempotency-Key": "k-slow"})
    assert retried.status_code == 202
    # the first run was only slow: it reaches its create after the retry took the key over
    with pytest.raises(errors.Duplicate):
        db.volume_create(project_id="proj-a", user_id="alice", size_gb=1, status="creating",
                         availability_zone="nova", name="once", idempotency=slow)
    db.idempotency_forget(slow)  # what its failure does: it must not drop the retry's key
    assert db.volume_count(project_id="proj-a") == 1
    again = api.post("/volumes", BODY, headers={"Idempotency-Key": "k-slow"})
    assert again.json() == retried.json() and again.headers["Idempotency-Replayed"] == "true"


def test_a_retry_of_a_dead_runs_young_claim_waits_then_creates_once(api: Api,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(db_idempotency, "TAKEOVER_AFTER", timedelta(seconds=0.5))
    monkeypatch.setattr(api_idempotency, "WAIT_S", 1.5)
    assert db.idempotency_claim(_claim("k-young"), "/v3/volumes") is None  # its api worker died just now
    retried = api.post("/volumes", BODY, headers={"Idempotency-Key": "k-young"})
    assert retried.status_code == 202 and "Idempotency-Replayed" not in retried.headers
    assert db.volume_count(project_id="proj-a") == 1


def _claim(key: str) -> IdempotencyClaim:
    return IdempotencyClaim(project_id="proj-a", key=key, claim_id=f"run-of-{key}")


def _age_claims() -> None:
    """Make every claim older than a request could take to run."""
    keys = table_of(models.IdempotencyKey)
    with session.writer() as conn:
        conn.execute(sa.update(keys).values(created_at=utcnow() - TAKEOVER_AFTER * 2))
