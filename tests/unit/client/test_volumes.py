"""ember volume ...: the requests the CLI sends and what it prints."""

from __future__ import annotations

import json
import textwrap

from tests.unit.client.conftest import body_of, fault, ok

BASE = "/v3/demo"
VOL_ID = "6b1c3e9a-0d5f-4d8e-9a51-3f0b8f2c7e10"


def make_volume(**overrides: object) -> dict[str, object]:
    volume: dict[str, object] = {
        "id": VOL_ID, "name": "db", "status": "available", "size": 1, "volume_type": "__DEFAULT__",
        "bootable": "false", "attachments": [], "metadata": {}, "availability_zone": "nova",
        "links": [{"rel": "self", "href": "http://x"}],
    }
    volume.update(overrides)
    return volume


def test_create_with_wait_polls_until_available_and_prints_the_final_volume(endpoint, ember):
    endpoint.on("POST", f"{BASE}/volumes", ok({"volume": make_volume(status="creating")}, 202))
    endpoint.on("GET", f"{BASE}/volumes/{VOL_ID}",
                ok({"volume": make_volume(status="creating")}),
                ok({"volume": make_volume(status="creating")}),
                ok({"volume": make_volume(status="available")}))

    status, out, err = ember("volume", "create", "--size", "1", "--name", "db", "--type", "fast",
                             "--property", "tier=gold", "--wait")

    assert status == 0, err
    [post] = endpoint.sent("POST", f"{BASE}/volumes")
    assert body_of(post) == {"volume": {"size": 1, "name": "db", "volume_type": "fast",
                                        "metadata": {"tier": "gold"}}}
    assert post.headers["X-Auth-Token"] == "demo:demo"
    assert post.headers["OpenStack-API-Version"] == "volume 3.71"
    assert len(endpoint.sent("GET", f"{BASE}/volumes/{VOL_ID}")) == 3
    assert "| status            | available" in out
    assert "links" not in out


def test_create_without_wait_prints_the_accepted_volume_without_polling(endpoint, ember):
    endpoint.on("POST", f"{BASE}/volumes", ok({"volume": make_volume(status="creating")}, 202))

    status, out, _ = ember("volume", "create", "--size", "2")

    assert status == 0
    assert "creating" in out
    assert endpoint.sent("GET", f"{BASE}/volumes/{VOL_ID}") == []


def test_create_without_size_or_source_says_what_to_give(endpoint, ember):
    status, _, err = ember("volume", "create", "--name", "db")

    assert status == 1
    assert "--size" in err
    assert endpoint.requests == []


def test_list_prints_a_table_with_the_volume_columns(endpoint, ember):
    attached = make_volume(id="a" * 8, name="web", status="in-use", size=10, bootable="true",
                           attachments=[{"server_id": "srv-1", "device": "/dev/vdb"}])
    endpoint.on("GET", f"{BASE}/volumes/detail",
                ok({"volumes": [make_volume(id="6b1c3e9a", volume_type="ssd"), attached]}))

    status, out, _ = ember("volume", "list")

    assert status == 0
    assert out == textwrap.dedent("""\
        +----------+------+-----------+------+-------------+----------+-------------------------------+
        | ID       | Name | Status    | Size | Type        | Bootable | Attached to                   |
        +----------+------+-----------+------+-------------+----------+-------------------------------+
        | 6b1c3e9a | db   | available |    1 | ssd         | false    |                               |
        | aaaaaaaa | web  | in-use    |   10 | __DEFAULT__ | true     | Attached to srv-1 on /dev/vdb |
        +----------+------+-----------+------+-------------+----------+-------------------------------+
        """)


def test_list_passes_filters_and_all_projects_as_cinder_query_parameters(endpoint, ember):
    endpoint.on("GET", f"{BASE}/volumes/detail",
                ok({"volumes": [make_volume(**{"os-vol-tenant-attr:tenant_id": "other"})]}))

    status, out, _ = ember("volume", "list", "--all-projects", "--status", "error", "--name", "db",
                           "--limit", "5")

    assert status == 0
    [request] = endpoint.requests
    assert dict(request.url.params) == {"all_tenants": "1", "status": "error", "name": "db", "limit": "5"}
    header, first_row = out.splitlines()[1], out.splitlines()[3]
    assert header.split("|")[2].strip() == "Project"
    assert first_row.split("|")[2].strip() == "other"


def test_list_json_prints_the_volumes_as_the_server_sent_them(endpoint, ember):
    volumes = [make_volume(), make_volume(id="b" * 8, name="logs")]
    endpoint.on("GET", f"{BASE}/volumes/detail", ok({"volumes": volumes}))

    status, out, _ = ember("--json", "volume", "list")
    status_after, out_after, _ = ember("volume", "list", "--json")

    assert status == status_after == 0
    assert json.loads(out) == volumes
    assert json.loads(out_after) == volumes


def test_set_merges_new_properties_into_the_existing_metadata(endpoint, ember):
    endpoint.on("GET", f"{BASE}/volumes/{VOL_ID}", ok({"volume": make_volume(metadata={"a": "1"})}))
    endpoint.on("PUT", f"{BASE}/volumes/{VOL_ID}", ok({"volume": make_volume()}))

    status, out, _ = ember("volume", "set", VOL_ID, "--name", "db2", "--property", "b=2")

    assert status == 0 and out == f"Volume 'db' ({VOL_ID}) updated: metadata, name.\n"
    [put] = endpoint.sent("PUT", f"{BASE}/volumes/{VOL_ID}")
    assert body_of(put) == {"volume": {"name": "db2", "metadata": {"a": "1", "b": "2"}}}


def test_extend_and_reset_status_send_cinder_actions(endpoint, ember):
    endpoint.on("GET", f"{BASE}/volumes/{VOL_ID}",
                ok({"volume": make_volume()}),
                ok({"volume": make_volume(status="extending")}),
                ok({"volume": make_volume(size=5)}))
    endpoint.on("POST", f"{BASE}/volumes/{VOL_ID}/action", ok(status=202))

    assert ember("volume", "extend", VOL_ID, "--size", "5", "--wait")[:2] == (
        0, f"Volume 'db' ({VOL_ID}) extended to 5 GB.\n")
    status, out, _ = ember("volume", "reset-status", VOL_ID, "--state", "error")
    assert status == 0 and out.startswith(f"Volume 'db' ({VOL_ID}) status reset from ") and "to error" in out

    actions = [body_of(r) for r in endpoint.sent("POST", f"{BASE}/volumes/{VOL_ID}/action")]
    assert actions == [{"os-extend": {"new_size": 5}}, {"os-reset_status": {"status": "error"}}]


def test_delete_with_wait_polls_until_the_volume_is_gone(endpoint, ember):
    endpoint.on("GET", f"{BASE}/volumes/{VOL_ID}",
                ok({"volume": make_volume()}),
                ok({"volume": make_volume(status="deleting")}),
                fault(404, "itemNotFound", "gone"))
    endpoint.on("DELETE", f"{BASE}/volumes/{VOL_ID}", ok(status=202))

    status, out, err = ember("volume", "delete", VOL_ID, "--wait")

    assert (status, out, err) == (0, f"Volume 'db' ({VOL_ID}) deleted.\n", "")
    assert len(endpoint.sent("DELETE", f"{BASE}/volumes/{VOL_ID}")) == 1


def test_force_delete_uses_the_force_delete_action(endpoint, ember):
    endpoint.on("GET", f"{BASE}/volumes/{VOL_ID}", ok({"volume": make_volume(status="error")}))
    endpoint.on("POST", f"{BASE}/volumes/{VOL_ID}/action", ok(status=202))

    assert ember("volume", "delete", VOL_ID, "--force")[0] == 0

    [action] = endpoint.sent("POST", f"{BASE}/volumes/{VOL_ID}/action")
    assert body_of(action) == {"os-force_delete": {}}
    assert endpoint.sent("DELETE", f"{BASE}/volumes/{VOL_ID}") == []


def test_delete_of_several_goes_on_past_a_missing_one_and_fails_at_the_end(endpoint, ember):
    endpoint.on("GET", f"{BASE}/volumes/detail", ok({"volumes": []}))
    endpoint.on("GET", f"{BASE}/volumes/{VOL_ID}", ok({"volume": make_volume()}))
    endpoint.on("DELETE", f"{BASE}/volumes/{VOL_ID}", ok(status=202))

    status, _, err = ember("volume", "delete", "nosuch", VOL_ID)

    assert status == 1
    assert "no volume with a name or ID of 'nosuch'" in err
    assert "1 of 2 volumes failed to delete" in err
    assert len(endpoint.sent("DELETE", f"{BASE}/volumes/{VOL_ID}")) == 1


def test_global_options_and_environment_choose_endpoint_project_and_user(endpoint, ember, monkeypatch):
    monkeypatch.setenv("EMBER_ENDPOINT", "http://ember.example:9000/v3/")
    monkeypatch.setenv("OS_USER_ID", "alice")
    endpoint.on("GET", "/v3/c0ffee/volumes/detail", ok({"volumes": []}))

    status, _, _ = ember("--os-project-id", "c0ffee", "volume", "list")

    assert status == 0
    [request] = endpoint.requests
    assert str(request.url) == "http://ember.example:9000/v3/c0ffee/volumes/detail"
    assert request.headers["X-Auth-Token"] == "alice:c0ffee"


def test_delete_without_wait_confirms_the_request_and_says_so_in_json_too(endpoint, ember):
    endpoint.on("GET", f"{BASE}/volumes/{VOL_ID}", ok({"volume": make_volume()}))
    endpoint.on("DELETE", f"{BASE}/volumes/{VOL_ID}", ok(status=202))

    assert ember("volume", "delete", VOL_ID)[:2] == (0, f"Deletion of volume 'db' ({VOL_ID}) accepted.\n")
    status, out, _ = ember("--json", "volume", "delete", VOL_ID)
    assert status == 0 and json.loads(out) == {"message": f"Deletion of volume 'db' ({VOL_ID}) accepted."}
