"""A volume marked read-only (os-update_readonly_flag) is attached read-only: access_mode 'ro'."""

from __future__ import annotations

from typing import Any

import pytest

from db import api as db
from tests.unit.api.conftest import Api, make_available


@pytest.fixture
def volume(api: Api) -> dict[str, Any]:
    created = api.create_volume(1)
    make_available(created["id"])
    path = f"/volumes/{created['id']}/action"
    assert api.post(path, {"os-update_readonly_flag": {"readonly": True}}).status_code == 202
    return created


def test_a_new_attachment_of_a_readonly_volume_is_read_only(api: Api, volume: dict[str, Any]) -> None:
    created = api.as_(api.token, "3.54").post("/attachments", {"attachment": {"volume_uuid": volume["id"],
                                                                              "mode": "rw"}})
    assert created.status_code == 200, created.text
    assert created.json()["attachment"]["attach_mode"] == "ro"


def test_legacy_attach_read_write_is_refused(api: Api, volume: dict[str, Any]) -> None:
    refused = api.post(f"/volumes/{volume['id']}/action",
                       {"os-attach": {"instance_uuid": "2b3c4d5e-0000-4000-8000-000000000001",
                                      "mountpoint": "/dev/vdb", "mode": "rw"}})
    assert refused.status_code == 400 and "read-only" in refused.json()["badRequest"]["message"]
    assert db.attachment_count(project_id=None, filters={"volume_id": volume["id"]}) == 0


def test_clearing_the_flag_attaches_read_write_again(api: Api, volume: dict[str, Any]) -> None:
    path = f"/volumes/{volume['id']}/action"
    assert api.post(path, {"os-update_readonly_flag": {"readonly": False}}).status_code == 202
    created = api.as_(api.token, "3.54").post("/attachments", {"attachment": {"volume_uuid": volume["id"],
                                                                              "mode": "rw"}})
    assert created.json()["attachment"]["attach_mode"] == "rw"
