"""os-retype: a volume takes another type where it lies when its pool meets the type, else a 400."""

from __future__ import annotations

from typing import Any

from db import api as db
from tests.unit.api.conftest import Api, make_available


def _type(api: Api, name: str, **extra_specs: str) -> dict[str, Any]:
    answer = api.post("/types", {"volume_type": {"name": name, "extra_specs": extra_specs}})
    assert answer.status_code == 200, answer.text
    return dict(answer.json()["volume_type"])


def test_retype_in_place_when_the_pool_meets_the_new_type(api: Api) -> None:
    source, target = _type(api, "gold"), _type(api, "silver", volume_backend_name="file-1")
    volume = api.create_volume(volume_type="gold")
    make_available(volume["id"])
    path = f"/volumes/{volume['id']}/action"
    done = api.post(path, {"os-retype": {"new_type": target["id"], "migration_policy": "never"}})
    assert done.status_code == 202, done.text
    shown = api.get(f"/volumes/{volume['id']}").json()["volume"]
    assert (shown["volume_type"], shown["status"], shown["os-vol-host-attr:host"]) == (
        "silver", "available", "host@file-1#pool")
    same = api.post(path, {"os-retype": {"new_type": "silver"}})
    assert same.status_code == 400
    assert db.volume_get(volume["id"]).volume_type_id == target["id"] != source["id"]


def test_retype_to_a_type_the_pool_does_not_meet_is_refused_and_changes_nothing(api: Api) -> None:
    _type(api, "plain")
    elsewhere = _type(api, "elsewhere", volume_backend_name="lvm-9")
    volume = api.create_volume(volume_type="plain")
    make_available(volume["id"])
    before = db.volume_get(volume["id"])
    for policy in ("never", "on-demand"):
        refused = api.post(f"/volumes/{volume['id']}/action",
                           {"os-retype": {"new_type": elsewhere["name"], "migration_policy": policy}})
        assert refused.status_code == 400, refused.text
        # on-demand would move it, but no other backend is up
        assert ("retyped only where it lies" if policy == "never" else "no other backend that is up") in \
            refused.json()["badRequest"]["message"]
    assert db.volume_get(volume["id"]).volume_type_id == before.volume_type_id


def test_retype_needs_an_available_or_in_use_volume_and_a_known_type(api: Api) -> None:
    _type(api, "other")
    creating = api.create_volume()
    assert api.post(f"/volumes/{creating['id']}/action", {"os-retype": {"new_type": "other"}}).status_code == 400
    assert api.post(f"/volumes/{creating['id']}/action", {"os-retype": {"new_type": "nope"}}).status_code == 404
    assert api.post(f"/volumes/{creating['id']}/action",
                    {"os-retype": {"new_type": "other", "migration_policy": "sometimes"}}).status_code == 400
