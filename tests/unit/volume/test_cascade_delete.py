"""DELETE /volumes/{id}?cascade=true with the real file driver: the volume's snapshots go with it, first."""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from oslo_config import cfg
from starlette.testclient import TestClient

from api.app import create_app
from db import api as db
from tests.unit.api.conftest import Api
from tests.unit.conftest import wait_for


@pytest.fixture
def api(stack: object, conf: cfg.ConfigOpts) -> Iterator[Api]:
    with TestClient(create_app(conf)) as client:
        yield Api(client, "admin:admin", "3.71")


def _status(api: Api, path: str, key: str) -> str | None:
    answer = api.get(path)
    return str(answer.json()[key]["status"]) if answer.status_code == 200 else None


def _is_available(api: Api, path: str) -> bool:
    return _status(api, path, "snapshot") == "available"


def _available_volume_with_snapshots(api: Api, count: int) -> tuple[dict[str, Any], list[str]]:
    volume = api.create_volume(1)
    wait_for(lambda: _status(api, f"/volumes/{volume['id']}", "volume") == "available", what="volume")
    snapshots = []
    for _ in range(count):
        created = api.post("/snapshots", {"snapshot": {"volume_id": volume["id"]}})
        assert created.status_code == 202, created.text
        snapshot_id = created.json()["snapshot"]["id"]
        wait_for(functools.partial(_is_available, api, f"/snapshots/{snapshot_id}"), what="snapshot")
        snapshots.append(snapshot_id)
    return volume, snapshots


def test_cascade_deletes_the_snapshots_then_the_volume(api: Api, tmp_path: Path) -> None:
    volume, snapshots = _available_volume_with_snapshots(api, 2)
    assert api.delete(f"/volumes/{volume['id']}").status_code == 400  # without cascade: it has snapshots
    assert api.delete(f"/volumes/{volume['id']}?cascade=true").status_code == 202
    wait_for(lambda: api.get(f"/volumes/{volume['id']}").status_code == 404, what="volume deleted")
    assert all(api.get(f"/snapshots/{sid}").status_code == 404 for sid in snapshots)
    leftovers = [name for _, _, files in os.walk(tmp_path) for name in files
                 if volume["id"] in name or any(sid in name for sid in snapshots)]
    assert leftovers == []
    assert db.quota_get("admin")["snapshots"][1] == 0


def test_cascade_refuses_a_snapshot_that_is_not_available_or_error(api: Api) -> None:
    volume, (snapshot_id,) = _available_volume_with_snapshots(api, 1)
    api.post(f"/snapshots/{snapshot_id}/action", {"os-reset_status": {"status": "creating"}})
    refused = api.delete(f"/volumes/{volume['id']}?cascade=true")
    assert refused.status_code == 400 and "creating" in refused.json()["badRequest"]["message"]
    assert _status(api, f"/volumes/{volume['id']}", "volume") == "available"
