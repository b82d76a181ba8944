"""The keys of ember's answers are Cinder's, as Tempest's response schemas (additionalProperties false)
check them: the extension attributes are in show and list answers only, never in create or update ones,
and nothing Cinder does not answer (no attach_status, no failure reason) is in a volume or snapshot."""

from __future__ import annotations

from typing import Any

from tests.unit.api.conftest import Api, make_available

# Cinder 3.0's volume body, as its create and update answers give it (an admin also gets migration_status)
VOLUME_BASE = {"id", "name", "description", "status", "size", "availability_zone", "created_at", "updated_at",
               "attachments", "bootable", "encrypted", "links", "metadata", "multiattach", "replication_status",
               "snapshot_id", "source_volid", "user_id", "volume_type", "consistencygroup_id", "migration_status"}
VOLUME_EXTENSIONS = {"os-vol-tenant-attr:tenant_id", "os-vol-host-attr:host", "os-vol-mig-status-attr:migstat",
                     "os-vol-mig-status-attr:name_id"}
SNAPSHOT_BASE = {"id", "name", "description", "status", "size", "volume_id", "created_at", "updated_at",
                 "metadata"}
SNAPSHOT_EXTENSIONS = {"os-extended-snapshot-attributes:progress", "os-extended-snapshot-attributes:project_id"}


def test_volume_create_and_update_answer_the_base_body_show_and_list_add_the_extensions(api: Api) -> None:
    created = api.create_volume(name="shape")
    assert set(created) == VOLUME_BASE
    updated = api.put(f"/volumes/{created['id']}", {"volume": {"name": "renamed"}}).json()["volume"]
    assert set(updated) == VOLUME_BASE
    shown = api.get(f"/volumes/{created['id']}").json()["volume"]
    assert set(shown) == VOLUME_BASE | VOLUME_EXTENSIONS
    listed = api.get("/volumes/detail").json()["volumes"]
    assert [set(v) for v in listed] == [VOLUME_BASE | VOLUME_EXTENSIONS]


def test_snapshot_create_and_update_answer_the_base_body(api: Api, casts: list[Any]) -> None:
    volume = api.create_volume()
    make_available(volume["id"])
    created = api.post("/snapshots", {"snapshot": {"volume_id": volume["id"]}}).json()["snapshot"]
    assert set(created) == SNAPSHOT_BASE
    updated = api.put(f"/snapshots/{created['id']}", {"snapshot": {"name": "n"}}).json()["snapshot"]
    assert set(updated) == SNAPSHOT_BASE
    shown = api.get(f"/snapshots/{created['id']}").json()["snapshot"]
    assert set(shown) == SNAPSHOT_BASE | SNAPSHOT_EXTENSIONS


def test_volume_type_answers_as_cinder_per_call(api: Api) -> None:
    created = api.post("/types", {"volume_type": {"name": "shape", "extra_specs": {"k": "v"}}}).json()["volume_type"]
    assert set(created) == {"id", "name", "description", "is_public", "os-volume-type-access:is_public",
                            "extra_specs"}
    updated = api.put(f"/types/{created['id']}", {"volume_type": {"description": "d"}}).json()["volume_type"]
    assert set(updated) == {"id", "name", "description", "is_public", "extra_specs"}
    shown = api.get(f"/types/{created['id']}").json()["volume_type"]
    assert set(shown) == {"id", "name", "description", "is_public", "os-volume-type-access:is_public",
                          "qos_specs_id", "extra_specs"}
