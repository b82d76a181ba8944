"""A group snapshot on real LVM (a loop-file volume group): three volumes, one of them extended at the same
moment. Exactly one clear outcome: the group snapshot takes all three or none, the extend lands or is refused
with a reason, and nothing stays transient; a group made from the group snapshot gets its volumes."""

from __future__ import annotations

import concurrent.futures
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.integration.storage_fixtures import settle

pytestmark = pytest.mark.integration

V = {"OpenStack-API-Version": "volume 3.25"}


@pytest.fixture(scope="module")
def api(typed_storage_api: httpx.Client) -> Iterator[httpx.Client]:
    """The storage stack's admin client at 3.25 (groups are 3.13 on, their volume lists 3.25)."""
    with httpx.Client(base_url=typed_storage_api.base_url, headers={**typed_storage_api.headers, **V},
                      timeout=30) as client:
        yield client


def _post(api: httpx.Client, path: str, body: dict[str, Any]) -> httpx.Response:
    return api.post(path, json=body, headers=V)


def _group(api: httpx.Client) -> str:
    group_type = _post(api, "/group_types", {"group_type": {"name": f"it-{uuid.uuid4().hex[:8]}"}})
    assert group_type.status_code == 202, group_type.text
    lvm_type = next(t["id"] for t in api.get("/types").json()["volume_types"] if t["name"] == "lvm-1")
    group = _post(api, "/groups", {"group": {"group_type": group_type.json()["group_type"]["id"],
                                             "volume_types": [lvm_type]}})
    assert group.status_code == 202, group.text
    group_id = str(group.json()["group"]["id"])
    assert settle(api, f"/groups/{group_id}")["status"] == "available"
    return group_id


def _member(api: httpx.Client, group_id: str) -> str:
    made = _post(api, "/volumes", {"volume": {"size": 1, "volume_type": "lvm-1", "group_id": group_id}})
    assert made.status_code == 202, made.text
    volume_id = str(made.json()["volume"]["id"])
    assert settle(api, f"/volumes/{volume_id}")["status"] == "available"
    return volume_id


def test_a_group_snapshot_racing_an_extend_has_one_clear_outcome(api: httpx.Client) -> None:
    group_id = _group(api)
    volumes = [_member(api, group_id) for _ in range(3)]
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        extend = pool.submit(_post, api, f"/volumes/{volumes[0]}/action", {"os-extend": {"new_size": 2}})
        snap = pool.submit(_post, api, "/group_snapshots", {"group_snapshot": {"group_id": group_id}})
        extended, snapped = extend.result(), snap.result()
    assert extended.status_code in (202, 400), extended.text
    assert snapped.status_code in (202, 400), snapped.text
    assert 202 in (extended.status_code, snapped.status_code)  # the two cannot both be refused
    for refused in (r for r in (extended, snapped) if r.status_code == 400):
        assert any(word in refused.text for word in ("extending", "snapshot", "status")), refused.text

    sizes = {v: settle(api, f"/volumes/{v}") for v in volumes}
    assert all(body["status"] == "available" for body in sizes.values()), sizes
    assert sizes[volumes[0]]["size"] == (2 if extended.status_code == 202 else 1)
    if snapped.status_code != 202:
        return
    group_snapshot_id = snapped.json()["group_snapshot"]["id"]
    assert settle(api, f"/group_snapshots/{group_snapshot_id}")["status"] == "available"
    members = [s for s in api.get("/snapshots/detail", params={"all_tenants": 1}).json()["snapshots"]
               if s["volume_id"] in volumes]
    assert sorted(s["volume_id"] for s in members) == sorted(volumes)  # all three, none missing
    assert all(s["status"] == "available" for s in members)

    copy = _post(api, "/groups/action", {"create-from-src": {"group_snapshot_id": group_snapshot_id}})
    assert copy.status_code == 202, copy.text
    copy_id = copy.json()["group"]["id"]
    assert settle(api, f"/groups/{copy_id}", timeout_s=180)["status"] == "available"
    shown = api.get(f"/groups/{copy_id}", params={"list_volume": "True"}, headers=V).json()["group"]
    assert len(shown["volumes"]) == 3
    for volume_id in shown["volumes"]:
        assert settle(api, f"/volumes/{volume_id}")["status"] == "available"
