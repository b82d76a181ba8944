"""What a project reads about a failed operation (status_reason, user messages, the attach answer) holds no secret."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from oslo_config import cfg
from starlette.testclient import TestClient

from api.app import create_app
from db import api as db
from tests.unit.api.conftest import Api
from tests.unit.chap_driver import LEAKED
from tests.unit.conftest import wait_for

CONNECTOR = {"initiator": "iqn.1993-08.org.debian:01:compute-1", "ip": "192.0.2.21", "host": "compute-1"}


@pytest.fixture
def api(overrides: Callable[..., None], request: pytest.FixtureRequest, conf: cfg.ConfigOpts) -> Iterator[Api]:
    overrides("volume_driver", "tests.unit.chap_driver:LeakyFailingDriver", group="file-1")
    request.getfixturevalue("stack")
    with TestClient(create_app(conf)) as client:
        yield Api(client, "admin:admin", "3.71")


def _available(api: Api) -> str:
    volume_id = str(api.create_volume(1)["id"])
    wait_for(lambda: api.get(f"/volumes/{volume_id}").json()["volume"]["status"] == "available", what="available")
    return volume_id


def test_a_failed_extend_tells_the_project_why_without_the_secret(api: Api) -> None:
    volume_id = _available(api)
    assert api.post(f"/volumes/{volume_id}/action", {"os-extend": {"new_size": 2}}).status_code == 202
    wait_for(lambda: api.get(f"/volumes/{volume_id}").json()["volume"]["status"] == "error_extending",
             what="error_extending")
    reason = db.volume_get(volume_id).status_reason or ""
    # the user message is posted just after the failure lands, in a transaction of its own
    wait_for(lambda: bool(db.message_list(project_id=None)), what="the user message")
    messages = [m.user_message for m in db.message_list(project_id=None)]
    # Cinder's words for the project; the driver's own text (with the secret) stays in the log, masked
    assert reason == "extend volume: Volume Driver failed to extend volume." and LEAKED not in reason
    assert reason in messages and not any(LEAKED in m for m in messages)


def test_a_failed_connection_answers_why_without_the_secret(api: Api) -> None:
    volume_id = _available(api)
    answer = api.post("/attachments", {"attachment": {"volume_uuid": volume_id, "connector": CONNECTOR}})
    assert answer.status_code >= 400 and "tgtadm --op bind failed" in answer.text
    assert LEAKED not in answer.text
