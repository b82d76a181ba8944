"""Volumes, snapshots and types given by name: unique, ambiguous, missing."""

from __future__ import annotations

from tests.unit.client.conftest import body_of, fault, ok
from tests.unit.client.test_volumes import BASE, VOL_ID, make_volume


def test_a_unique_name_is_found_by_listing_with_the_name_filter(endpoint, ember):
    endpoint.on("GET", f"{BASE}/volumes/detail",
                ok({"volumes": [make_volume(), make_volume(id="x", name="db-old")]}))

    status, out, _ = ember("volume", "show", "db")

    assert status == 0
    [request] = endpoint.requests
    assert request.url.params["name"] == "db"
    assert VOL_ID in out


def test_an_id_is_fetched_directly(endpoint, ember):
    endpoint.on("GET", f"{BASE}/volumes/{VOL_ID}", ok({"volume": make_volume()}))

    status, out, _ = ember("volume", "show", VOL_ID)

    assert status == 0
    assert "| name              | db" in out
    assert [r.url.path for r in endpoint.requests] == [f"{BASE}/volumes/{VOL_ID}"]


def test_an_ambiguous_name_asks_for_the_id(endpoint, ember):
    endpoint.on("GET", f"{BASE}/volumes/detail",
                ok({"volumes": [make_volume(id="one"), make_volume(id="two")]}))

    status, out, err = ember("volume", "delete", "db")

    assert status == 1
    assert out == ""
    assert "2 volumes are named 'db'; use the ID instead" in err
    assert not [r for r in endpoint.requests if r.method == "DELETE"]


def test_a_missing_name_or_id_says_how_to_list(endpoint, ember):
    missing_id = "00000000-0000-0000-0000-000000000000"
    endpoint.on("GET", f"{BASE}/volumes/{missing_id}", fault(404, "itemNotFound", "not found"))
    endpoint.on("GET", f"{BASE}/volumes/detail", ok({"volumes": []}))

    status, _, err = ember("volume", "show", missing_id)

    assert status == 1
    assert err.strip() == (f"ERROR: no volume with a name or ID of '{missing_id}' exists; "
                           f"see `ember volume list`.")


def test_snapshot_create_resolves_the_volume_name(endpoint, ember):
    endpoint.on("GET", f"{BASE}/volumes/detail", ok({"volumes": [make_volume()]}))
    endpoint.on("POST", f"{BASE}/snapshots",
                ok({"snapshot": {"id": "s1", "status": "creating", "volume_id": VOL_ID}}, 202))

    status, _, _ = ember("snapshot", "create", "db", "--name", "nightly")

    assert status == 0
    [post] = endpoint.sent("POST", f"{BASE}/snapshots")
    assert body_of(post) == {"snapshot": {"volume_id": VOL_ID, "name": "nightly"}}


def test_types_are_found_by_name_in_the_type_list(endpoint, ember):
    endpoint.on("GET", f"{BASE}/types", ok({"volume_types": [
        {"id": "t-fast", "name": "fast", "extra_specs": {}},
        {"id": "t-slow", "name": "slow", "extra_specs": {}}]}))
    endpoint.on("DELETE", f"{BASE}/types/t-slow", ok(status=202))

    assert ember("type", "delete", "slow")[0] == 0
    assert len(endpoint.sent("DELETE", f"{BASE}/types/t-slow")) == 1
