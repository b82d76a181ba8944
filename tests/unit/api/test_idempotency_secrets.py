"""Idempotency-Key and CHAP secrets: a replayed attach answer carries the secret, the stored one never does."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from oslo_config import cfg
from starlette.testclient import TestClient

from api.app import create_app
from db import api as db
from db import models, session
from db.models import table_of
from tests.unit.api.conftest import Api
from tests.unit.conftest import wait_for

CONNECTOR = {"initiator": "iqn.1993-08.org.debian:01:compute-1", "ip": "192.0.2.21", "host": "compute-1",
             "platform": "x86_64", "os_type": "linux", "multipath": False}
_keys = table_of(models.IdempotencyKey)


@pytest.fixture
def api(overrides: Callable[..., None], request: pytest.FixtureRequest, conf: cfg.ConfigOpts) -> Iterator[Api]:
    overrides("volume_driver", "tests.unit.chap_driver:ChapNoopDriver", group="file-1")
    request.getfixturevalue("stack")
    with TestClient(create_app(conf)) as client:
        yield Api(client, "admin:admin", "3.71")


def _volume(api: Api) -> str:
    volume_id = str(api.create_volume(1)["id"])
    wait_for(lambda: api.get(f"/volumes/{volume_id}").json()["volume"]["status"] == "available", what="available")
    return volume_id


def _stored_bodies() -> list[str]:
    with session.reader() as conn:
        return [row.body for row in conn.execute(sa.select(_keys.c.body)) if row.body is not None]


def test_a_replayed_attachment_carries_the_secret_the_stored_answer_does_not(api: Api) -> None:
    volume_id = _volume(api)
    key = {"Idempotency-Key": "attach-1"}
    body = {"attachment": {"volume_uuid": volume_id, "connector": CONNECTOR}}
    first = api.post("/attachments", body, headers=key)
    assert first.status_code == 200, first.text
    data = first.json()["attachment"]["connection_info"]
    secret = data["auth_password"]
    assert data["auth_method"] == "CHAP" and len(secret) == 16

    again = api.post("/attachments", body, headers=key)
    assert again.status_code == 200 and again.headers["Idempotency-Replayed"] == "true"
    assert again.json() == first.json()
    assert db.attachment_count(project_id=None) == 1

    (stored,) = _stored_bodies()
    assert secret not in stored and "auth_password" not in stored
    assert data["auth_username"] in stored  # the rest of the answer is kept as it was


def test_a_replayed_initialize_connection_carries_the_secret(api: Api) -> None:
    volume_id = _volume(api)
    key = {"Idempotency-Key": "init-1"}
    action = {"os-initialize_connection": {"connector": CONNECTOR}}
    first = api.post(f"/volumes/{volume_id}/action", action, headers=key)
    assert first.status_code == 200, first.text
    secret = first.json()["connection_info"]["data"]["auth_password"]
    again = api.post(f"/volumes/{volume_id}/action", action, headers=key)
    assert again.headers["Idempotency-Replayed"] == "true" and again.json() == first.json()
    assert all(secret not in stored for stored in _stored_bodies())


def test_a_replay_after_the_export_was_remade_gives_the_secret_that_works_now(api: Api) -> None:
    volume_id = _volume(api)
    key = {"Idempotency-Key": "attach-2"}
    first = api.post("/attachments", {"attachment": {"volume_uuid": volume_id, "connector": CONNECTOR}},
                     headers=key).json()["attachment"]
    assert api.delete(f"/attachments/{first['id']}").status_code == 200  # the export goes with it
    again = api.post("/attachments", {"attachment": {"volume_uuid": volume_id, "connector": CONNECTOR}},
                     headers=key)
    assert again.headers["Idempotency-Replayed"] == "true"
    assert "auth_password" not in again.json()["attachment"]["connection_info"]  # no export, no secret
    second = api.post("/attachments", {"attachment": {"volume_uuid": volume_id, "connector": CONNECTOR}},
                      headers={"Idempotency-Key": "attach-3"}).json()["attachment"]
    new_secret = second["connection_info"]["auth_password"]
    replayed: Any = api.post("/attachments", {"attachment": {"volume_uuid": volume_id, "connector": CONNECTOR}},
                             headers=key).json()["attachment"]["connection_info"]
    assert replayed["auth_password"] == new_secret
    assert replayed["auth_username"] == second["connection_info"]["auth_username"]
