"""[DEFAULT] max_metadata_items: no create or change gives a volume or snapshot more metadata items,
whatever the way (create, PUT of the resource, merge, replace, one key), and a refused one changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from db import api as db
from tests.unit.api.conftest import Api, make_available

LIMIT = 64


def _items(count: int, start: int = 0) -> dict[str, str]:
    return {f"k{i}": "v" for i in range(start, start + count)}


def _refused(response: Any, count: int) -> None:
    assert response.status_code == 400, response.text
    message = response.json()["badRequest"]["message"]
    assert f"at most {LIMIT} metadata items" in message and f"give it {count}" in message


@pytest.fixture
def volume(api: Api) -> dict[str, Any]:
    created = api.create_volume(metadata=_items(LIMIT - 4))
    make_available(created["id"])
    return created


def test_a_volume_is_created_with_at_most_the_limit(api: Api) -> None:
    _refused(api.post("/volumes", {"volume": {"size": 1, "metadata": _items(LIMIT + 1)}}), LIMIT + 1)
    assert db.volume_count(project_id=None) == 0
    assert len(api.create_volume(metadata=_items(LIMIT))["metadata"]) == LIMIT


def test_merges_stop_at_the_limit_and_a_refused_one_changes_nothing(api: Api, volume: dict[str, Any]) -> None:
    base = f"/volumes/{volume['id']}/metadata"
    before = db.volume_get(volume["id"])
    _refused(api.post(base, {"metadata": _items(5, start=1000)}), LIMIT + 1)
    assert db.volume_get(volume["id"]) == before
    assert len(api.post(base, {"metadata": _items(4, start=1000)}).json()["metadata"]) == LIMIT
    assert api.post(base, {"metadata": {"k0": "changed"}}).status_code == 200  # a value change adds nothing
    _refused(api.put(f"{base}/new", {"meta": {"new": "v"}}), LIMIT + 1)
    assert api.put(f"{base}/k1", {"meta": {"k1": "changed"}}).status_code == 200
    assert len(db.volume_get(volume["id"]).metadata) == LIMIT


def test_replacing_the_metadata_is_held_to_the_limit(api: Api, volume: dict[str, Any]) -> None:
    _refused(api.put(f"/volumes/{volume['id']}/metadata", {"metadata": _items(LIMIT + 1)}), LIMIT + 1)
    _refused(api.put(f"/volumes/{volume['id']}", {"volume": {"metadata": _items(LIMIT + 2)}}), LIMIT + 2)
    assert db.volume_get(volume["id"]).metadata == _items(LIMIT - 4)
    assert api.put(f"/volumes/{volume['id']}", {"volume": {"metadata": _items(2)}}).status_code == 200


def test_snapshot_metadata_is_held_to_the_limit(api: Api, volume: dict[str, Any], casts: list[Any]) -> None:
    body = {"snapshot": {"volume_id": volume["id"], "metadata": _items(LIMIT + 1)}}
    _refused(api.post("/snapshots", body), LIMIT + 1)
    assert db.snapshot_count(project_id=None) == 0 and casts == []
    snapshot = api.post("/snapshots", {"snapshot": {"volume_id": volume["id"]}}).json()["snapshot"]
    _refused(api.put(f"/snapshots/{snapshot['id']}", {"snapshot": {"metadata": _items(LIMIT + 1)}}), LIMIT + 1)
    assert db.snapshot_get(snapshot["id"]).metadata == {}


def test_the_limit_is_the_max_metadata_items_option(set_conf: Any, app_factory: Any) -> None:
    set_conf("max_metadata_items", 2)
    api = Api(app_factory())
    volume = api.create_volume(metadata={"a": "1"})
    response = api.post(f"/volumes/{volume['id']}/metadata", {"metadata": {"b": "2", "c": "3"}})
    assert response.status_code == 400 and "at most 2 metadata items" in response.json()["badRequest"]["message"]
    assert api.post(f"/volumes/{volume['id']}/metadata", {"metadata": {"b": "2"}}).status_code == 200
