"""ember volume/snapshot manage, unmanage and manageable-list: the requests the CLI sends and what it prints."""

from __future__ import annotations

from tests.unit.client.conftest import body_of, fault, ok
from tests.unit.client.test_volumes import BASE, VOL_ID, make_volume

SNAP_ID = "7c2d4e0b-1e6f-4e9f-8b62-4a1c9f3d8f21"


def test_volume_manage_waits_until_available(endpoint, ember):
    endpoint.on("POST", f"{BASE}/manageable_volumes", ok({"volume": make_volume(status="managing")}, 202))
    endpoint.on("GET", f"{BASE}/volumes/{VOL_ID}", ok({"volume": make_volume(status="managing")}),
                ok({"volume": make_volume(status="available", size=2)}))
    status, out, err = ember("volume", "manage", "h@lvm-1#vg", "legacy-lv", "--name", "db", "--type", "fast",
                             "--property", "k=v", "--wait")
    assert status == 0, err
    [post] = endpoint.sent("POST", f"{BASE}/manageable_volumes")
    assert body_of(post) == {"volume": {"host": "h@lvm-1#vg", "ref": {"source-name": "legacy-lv"}, "name": "db",
                                        "volume_type": "fast", "metadata": {"k": "v"}}}
    assert "available" in out


def test_volume_manage_by_source_id_and_a_refused_reference(endpoint, ember):
    endpoint.on("POST", f"{BASE}/manageable_volumes", fault(400, "badRequest", "Manage existing volume failed "
                                                             "due to invalid backend reference"))
    status, _, err = ember("volume", "manage", "h@file-1", VOL_ID, "--id-type", "source-id")
    assert status == 1 and "invalid backend reference" in err
    [post] = endpoint.sent("POST", f"{BASE}/manageable_volumes")
    assert body_of(post)["volume"]["ref"] == {"source-id": VOL_ID}


def test_volume_unmanage_waits_for_the_record_to_go(endpoint, ember):
    endpoint.on("GET", f"{BASE}/volumes/{VOL_ID}", ok({"volume": make_volume()}),
                ok({"volume": make_volume(status="unmanaging")}), fault(404, "itemNotFound", "gone"))
    endpoint.on("POST", f"{BASE}/volumes/{VOL_ID}/action", ok(status=202))
    status, out, err = ember("volume", "unmanage", VOL_ID, "--wait")
    assert status == 0, err
    assert body_of(endpoint.sent("POST", f"{BASE}/volumes/{VOL_ID}/action")[0]) == {"os-unmanage": {}}
    assert "unmanaged; its data stays" in out


def test_manageable_lists(endpoint, ember):
    endpoint.on("GET", f"{BASE}/manageable_volumes/detail", ok({"manageable-volumes": [
        {"reference": {"source-name": "legacy-lv"}, "size": 2, "safe_to_manage": True, "reason_not_safe": None,
         "cinder_id": None, "extra_info": None}]}))
    endpoint.on("GET", f"{BASE}/manageable_snapshots/detail", ok({"manageable-snapshots": [
        {"reference": {"source-name": "_snapshot-x"}, "size": 1, "safe_to_manage": False,
         "reason_not_safe": "Already managed.", "cinder_id": SNAP_ID, "extra_info": None,
         "source_reference": {"source-name": "volume-y"}}]}))
    status, out, err = ember("volume", "manageable-list", "h@lvm-1")
    assert status == 0, err
    assert "legacy-lv" in out
    request = endpoint.sent("GET", f"{BASE}/manageable_volumes/detail")[0]
    assert request.url.params["host"] == "h@lvm-1"
    status, out, err = ember("snapshot", "manageable-list", "h@lvm-1")
    assert status == 0, err
    assert "volume-y" in out and "Already managed." in out


def test_snapshot_manage_and_unmanage(endpoint, ember):
    snapshot = {"id": SNAP_ID, "name": "s", "status": "managing", "size": 1, "volume_id": VOL_ID}
    endpoint.on("GET", f"{BASE}/volumes/{VOL_ID}", ok({"volume": make_volume()}))
    endpoint.on("POST", f"{BASE}/manageable_snapshots", ok({"snapshot": snapshot}, 202))
    status, _, err = ember("snapshot", "manage", VOL_ID, "_snapshot-old", "--name", "s")
    assert status == 0, err
    assert body_of(endpoint.sent("POST", f"{BASE}/manageable_snapshots")[0]) == {"snapshot": {
        "volume_id": VOL_ID, "ref": {"source-name": "_snapshot-old"}, "name": "s"}}
    endpoint.on("GET", f"{BASE}/snapshots/{SNAP_ID}", ok({"snapshot": {**snapshot, "status": "available"}}))
    endpoint.on("POST", f"{BASE}/snapshots/{SNAP_ID}/action", ok(status=202))
    status, out, err = ember("snapshot", "unmanage", SNAP_ID)
    assert status == 0, err
    assert "accepted" in out
