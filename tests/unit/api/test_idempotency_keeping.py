"""Idempotency-Key answers: they expire and are purged, large ones are kept or degrade cleanly, and a
failure to keep one never costs the client the answer to a change that happened."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from starlette.testclient import TestClient

from db import api as db
from db import models, session
from db.api._common import utcnow
from db.api.idempotency import MAX_BODY_BYTES
from db.models import table_of
from db.records import IdempotencyClaim
from tests.unit.api.conftest import Api

_keys = table_of(models.IdempotencyKey)
BODY = {"volume": {"size": 1, "name": "once"}}
DAY_S = 86400
MANAGE = str(Path(sys.executable).parent / "ember-manage")


def _age(key: str, seconds: float) -> None:
    with session.writer() as conn:
        conn.execute(sa.update(_keys).where(_keys.c.key == key)
                     .values(created_at=utcnow() - timedelta(seconds=seconds)))


def _row(key: str) -> sa.Row[tuple[object, ...]]:
    with session.reader() as conn:
        return conn.execute(sa.select(_keys).where(_keys.c.key == key)).one()


def test_a_key_past_its_time_to_live_runs_the_request_afresh(api: Api) -> None:
    first = api.post("/volumes", BODY, headers={"Idempotency-Key": "old"})
    _age("old", DAY_S - 60)
    assert api.post("/volumes", BODY, headers={"Idempotency-Key": "old"}).json() == first.json()  # still kept
    _age("old", DAY_S + 1)
    fresh = api.post("/volumes", BODY, headers={"Idempotency-Key": "old"})
    assert fresh.status_code == 202 and "Idempotency-Replayed" not in fresh.headers
    assert fresh.json()["volume"]["id"] != first.json()["volume"]["id"]
    assert db.volume_count(project_id=None) == 2
    assert api.post("/volumes", BODY, headers={"Idempotency-Key": "old"}).json() == fresh.json()


def test_the_time_to_live_is_an_option(set_conf: Callable[..., None], app_factory: Callable[[], TestClient]) -> None:
    set_conf("idempotency_key_ttl_s", 120, group="database")
    api = Api(app_factory())
    first = api.post("/volumes", BODY, headers={"Idempotency-Key": "short"})
    _age("short", 121)
    assert api.post("/volumes", BODY, headers={"Idempotency-Key": "short"}).json() != first.json()


def test_purge_removes_expired_keys_only(api: Api) -> None:
    for key in ("a", "b", "c"):
        api.post("/volumes", BODY, headers={"Idempotency-Key": key})
    _age("a", DAY_S + 5)
    _age("b", DAY_S + 5)
    assert db.idempotency_purge(DAY_S) == 2
    with session.reader() as conn:
        assert [row.key for row in conn.execute(sa.select(_keys.c.key))] == ["c"]
    assert db.idempotency_purge(DAY_S) == 0


def test_purge_works_in_batches(api_db: None) -> None:
    with session.writer() as conn:
        conn.execute(sa.insert(_keys), [{"project_id": "p", "key": f"k{i}", "request_path": "/volumes",
                                         "claim_id": "c", "created_at": utcnow() - timedelta(days=2)}
                                        for i in range(2500)])
    assert db.idempotency_purge(DAY_S, batches=2) == 2000
    assert db.idempotency_purge(DAY_S) == 500


def test_ember_manage_db_purge_purges_expired_keys(api: Api, tmp_path: Path) -> None:
    api.post("/volumes", BODY, headers={"Idempotency-Key": "gone"})
    api.post("/volumes", BODY, headers={"Idempotency-Key": "kept"})
    _age("gone", DAY_S + 5)
    url = str(session.engine().url)
    conf_file = tmp_path / "manage.conf"
    conf_file.write_text(f"[DEFAULT]\nstate_path = {tmp_path}\n[database]\nconnection = {url}\n")
    purge = subprocess.run([MANAGE, "--config-file", str(conf_file), "db", "purge"], capture_output=True,
                           text=True, timeout=60, check=False)
    assert purge.returncode == 0 and "idempotency_keys: 1 rows purged" in purge.stdout, purge
    with session.reader() as conn:
        assert [row.key for row in conn.execute(sa.select(_keys.c.key))] == ["kept"]


def _big_metadata(total_bytes: int) -> dict[str, str]:
    return {f"key-{i:04d}": "v" * 200 for i in range(total_bytes // 220)}


def test_an_answer_over_64_kb_is_kept_and_replayed(set_conf: Any, app_factory: Any) -> None:
    # a deployment that lets a volume hold more metadata than the default 64 items answers past 64 KB
    set_conf("max_metadata_items", 1000)
    api = Api(app_factory())
    body = {"volume": {"size": 1, "metadata": _big_metadata(100_000)}}
    first = api.post("/volumes", body, headers={"Idempotency-Key": "big"})
    assert first.status_code == 202, first.text
    assert len(first.content) > 65_535
    again = api.post("/volumes", body, headers={"Idempotency-Key": "big"})
    assert again.headers["Idempotency-Replayed"] == "true" and again.json() == first.json()
    assert len(str(_row("big").body)) > 65_535


def _claim_of(key: str) -> IdempotencyClaim:
    row = _row(key)
    return IdempotencyClaim(project_id=str(row.project_id), key=key, claim_id=str(row.claim_id))


def test_an_answer_too_large_to_keep_is_answered_from_its_resource(api: Api) -> None:
    first = api.post("/volumes", BODY, headers={"Idempotency-Key": "huge"})
    assert not db.idempotency_store(_claim_of("huge"), status_code=202, body="x" * (MAX_BODY_BYTES + 1))
    assert _row("huge").body is None and _row("huge").status_code == 202
    again = api.post("/volumes", BODY, headers={"Idempotency-Key": "huge"})
    assert again.status_code == 202 and again.headers["Idempotency-Replayed"] == "true"
    assert again.json()["volume"]["id"] == first.json()["volume"]["id"]
    assert db.volume_count(project_id=None) == 1


def test_an_answer_too_large_to_keep_without_a_resource_is_a_clear_409(api: Api) -> None:
    assert api.post("/types", {"volume_type": {"name": "t1"}}, headers={"Idempotency-Key": "type"}).status_code == 200
    db.idempotency_store(_claim_of("type"), status_code=200, body="x" * (MAX_BODY_BYTES + 1))
    again = api.post("/types", {"volume_type": {"name": "t1"}}, headers={"Idempotency-Key": "type"})
    assert again.status_code == 409
    message = again.json()["conflictingRequest"]["message"]
    assert "was answered 200" in message and "not kept" in message
    assert sum(t.name == "t1" for t in db.type_list(include_private=True)) == 1


def _failing_store() -> None:
    """The database refuses to keep any answer body (a real SQLite error, raised by a trigger)."""
    with session.writer() as conn:
        conn.exec_driver_sql("CREATE TRIGGER refuse_bodies BEFORE UPDATE ON idempotency_keys "
                             "WHEN NEW.body IS NOT NULL BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END")


def test_a_failure_to_keep_the_answer_still_answers_the_change(api: Api) -> None:
    _failing_store()
    first = api.post("/volumes", BODY, headers={"Idempotency-Key": "store-fails"})
    assert first.status_code == 202, first.text
    volume_id = first.json()["volume"]["id"]
    assert db.volume_get(volume_id).name == "once"
    row = _row("store-fails")
    assert (row.status_code, row.body, row.resource_id) == (202, None, volume_id)
    again = api.post("/volumes", BODY, headers={"Idempotency-Key": "store-fails"})
    assert again.status_code == 202 and again.json()["volume"]["id"] == volume_id
    assert db.volume_count(project_id=None) == 1


def test_a_replayed_answer_is_the_first_one_byte_for_byte_when_it_holds_no_secret(api: Api) -> None:
    first = api.post("/volumes", BODY, headers={"Idempotency-Key": "same"})
    again = api.post("/volumes", BODY, headers={"Idempotency-Key": "same"})
    assert again.content == first.content and json.loads(str(_row("same").body)) == first.json()
