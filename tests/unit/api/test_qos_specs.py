"""/qos-specs (create, list, show, set/unset keys, delete with force, associations) and
/types/{id}/encryption, admin only, answered as Cinder does; the front-end keys a connection_info carries."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from api.actions import qos as qos_actions
from db import api as db
from db import models
from db.api._common import utcnow
from db.models import table_of
from db.records import QosSpecs
from db.session import writer
from tests.unit.api.conftest import Api

ADMIN = "root:admin"


@pytest.fixture
def admin(set_conf: Any, app_factory: Any) -> Api:
    set_conf("noauth_admin_projects", ["admin"])
    return Api(app_factory(), ADMIN)


def _create(api: Api, name: str = "gold", **fields: Any) -> dict[str, Any]:
    response = api.post("/qos-specs", {"qos_specs": {"name": name, **fields}})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == {"qos_specs", "links"}
    return dict(body["qos_specs"])


def _type(api: Api, name: str) -> str:
    response = api.post("/types", {"volume_type": {"name": name}})
    assert response.status_code == 200, response.text
    return str(response.json()["volume_type"]["id"])


def test_create_show_list_as_cinder(admin: Api) -> None:
    gold = _create(admin, "gold", consumer="front-end", read_iops_sec="2000")
    assert gold == {"id": gold["id"], "name": "gold", "consumer": "front-end", "specs": {"read_iops_sec": "2000"}}
    assert admin.get(f"/qos-specs/{gold['id']}").json()["qos_specs"] == gold
    # the create answer is an item of the list (Tempest's test_list_qos compares them whole)
    assert gold in admin.get("/qos-specs").json()["qos_specs"]
    assert _create(admin, "silver")["consumer"] == "back-end"  # Cinder's default


def test_list_pages_sorts_and_filters(admin: Api) -> None:
    made = [_create(admin, name, consumer=consumer)
            for name, consumer in (("a", "both"), ("b", "front-end"), ("c", "both"))]
    page = admin.get("/qos-specs?sort=name:asc&limit=2").json()
    assert [q["name"] for q in page["qos_specs"]] == ["a", "b"]
    assert "marker=" + made[1]["id"] in page["qos_specs_links"][0]["href"]
    rest = admin.get(f"/qos-specs?sort=name:asc&marker={made[1]['id']}").json()
    assert [q["name"] for q in rest["qos_specs"]] == ["c"] and "qos_specs_links" not in rest
    assert [q["name"] for q in admin.get("/qos-specs?consumer=both&sort=name:asc").json()["qos_specs"]] == ["a", "c"]


def test_duplicate_name_is_a_409_and_bad_input_a_400(admin: Api) -> None:
    _create(admin, "gold")
    assert admin.post("/qos-specs", {"qos_specs": {"name": "gold"}}).status_code == 409
    bad: list[dict[str, Any]] = [{"qos_specs": {"name": "x", "consumer": "nobody"}}, {"qos_specs": {"name": "  "}},
                                 {"qos_specs": {"name": "x", "iops": 5}}, {"qos_specs": {}}, {"name": "x"}]
    for body in bad:
        assert admin.post("/qos-specs", body).status_code == 400, body
    assert len(db.qos_list()) == 1


def test_set_and_unset_keys(admin: Api) -> None:
    gold = _create(admin, "gold", consumer="front-end", read_iops_sec="2000")
    response = admin.put(f"/qos-specs/{gold['id']}", {"qos_specs": {"iops_bytes": "500", "consumer": "both"}})
    assert response.status_code == 200
    assert response.json() == {"qos_specs": {"iops_bytes": "500", "consumer": "both"}}
    shown = admin.get(f"/qos-specs/{gold['id']}").json()["qos_specs"]
    assert shown["consumer"] == "both" and shown["specs"] == {"read_iops_sec": "2000", "iops_bytes": "500"}
    assert admin.put(f"/qos-specs/{gold['id']}/delete_keys", {"keys": ["iops_bytes"]}).status_code == 202
    assert admin.get(f"/qos-specs/{gold['id']}").json()["qos_specs"]["specs"] == {"read_iops_sec": "2000"}
    missing = admin.put(f"/qos-specs/{gold['id']}/delete_keys", {"keys": ["nope"]})
    assert missing.status_code == 404 and "nope" in missing.text


def test_associations_one_spec_per_type(admin: Api) -> None:
    gold, silver = _create(admin, "gold"), _create(admin, "silver")
    types = [_type(admin, f"t{i}") for i in range(3)]
    for type_id in types:
        assert admin.get(f"/qos-specs/{gold['id']}/associate?vol_type_id={type_id}").status_code == 202
    # again with the same specs: nothing changes; with other specs: Cinder's 400
    assert admin.get(f"/qos-specs/{gold['id']}/associate?vol_type_id={types[0]}").status_code == 202
    second = admin.get(f"/qos-specs/{silver['id']}/associate?vol_type_id={types[0]}")
    assert second.status_code == 400 and "already associated" in second.text
    associations = admin.get(f"/qos-specs/{gold['id']}/associations").json()["qos_associations"]
    assert sorted(a["id"] for a in associations) == sorted(types)
    assert {a["association_type"] for a in associations} == {"volume_type"}
    assert admin.get(f"/types/{types[0]}").json()["volume_type"]["qos_specs_id"] == gold["id"]
    assert admin.get(f"/qos-specs/{gold['id']}/associate").status_code == 400  # no vol_type_id
    assert admin.get(f"/qos-specs/{gold['id']}/associate?vol_type_id=nope").status_code == 404
    assert admin.get(f"/qos-specs/{gold['id']}/disassociate?vol_type_id={types[0]}").status_code == 202
    assert admin.get(f"/types/{types[0]}").json()["volume_type"]["qos_specs_id"] is None
    assert admin.get(f"/qos-specs/{gold['id']}/disassociate_all").status_code == 202
    assert admin.get(f"/qos-specs/{gold['id']}/associations").json() == {"qos_associations": []}


def test_delete_refused_while_associated_unless_forced(admin: Api) -> None:
    gold = _create(admin, "gold")
    type_id = _type(admin, "t")
    admin.get(f"/qos-specs/{gold['id']}/associate?vol_type_id={type_id}")
    refused = admin.delete(f"/qos-specs/{gold['id']}?force=False")
    assert refused.status_code == 400 and "Qos specs still in use." in refused.text
    assert admin.delete(f"/qos-specs/{gold['id']}?force=maybe").status_code == 400
    assert admin.get(f"/qos-specs/{gold['id']}").status_code == 200
    assert admin.delete(f"/qos-specs/{gold['id']}?force=True").status_code == 202
    assert admin.get(f"/qos-specs/{gold['id']}").status_code == 404
    assert admin.get(f"/types/{type_id}").json()["volume_type"]["qos_specs_id"] is None
    _create(admin, "gold")  # the name is free again


def test_admin_only(admin: Api) -> None:
    gold = _create(admin, "gold")
    user = admin.as_("alice:proj-a")
    for method, path in (("GET", "/qos-specs"), ("GET", f"/qos-specs/{gold['id']}"),
                         ("DELETE", f"/qos-specs/{gold['id']}"), ("GET", "/types/x/encryption")):
        answer = user.request(method, path)
        assert answer.status_code == 403 and "Policy doesn't allow" in answer.text
    assert user.post("/qos-specs", {"qos_specs": {"name": "mine"}}).status_code == 403


def test_front_end_specs_scaled_per_gb() -> None:
    def qos(consumer: str, **specs: str) -> QosSpecs:
        return QosSpecs(id="q", name="q", consumer=consumer, created_at=None, updated_at=None,  # type: ignore[arg-type]
                        specs=specs)

    assert qos_actions.front_end_specs(None, 10) is None
    assert qos_actions.front_end_specs(qos("back-end", total_iops_sec="5"), 10) is None
    assert qos_actions.front_end_specs(qos("both", total_iops_sec="5"), 10) == {"total_iops_sec": "5"}
    # 100 per GB of 10 GB, capped at 800; 5 per GB raised to the minimum 200
    shown = qos_actions.front_end_specs(qos("front-end", read_iops_sec_per_gb="100", read_iops_sec_max="800",
                                            write_bytes_sec_per_gb="5", write_bytes_sec_per_gb_min="200"), 10)
    assert shown == {"read_iops_sec": 800, "write_bytes_sec": 200}


# -- type encryption ---------------------------------------------------------------------------------

SPEC = {"provider": "LuksEncryptor", "key_size": 256, "cipher": "aes-xts-plain64", "control_location": "front-end"}


def test_encryption_create_show_update_delete(admin: Api) -> None:
    type_id = _type(admin, "secret")
    assert admin.get(f"/types/{type_id}/encryption").json() == {}
    created = admin.post(f"/types/{type_id}/encryption", {"encryption": {**SPEC, "key_size": "256"}})
    assert created.status_code == 200, created.text
    body = created.json()["encryption"]
    assert body == {**SPEC, "volume_type_id": type_id, "encryption_id": body["encryption_id"]}
    shown = admin.get(f"/types/{type_id}/encryption").json()
    assert {key: shown[key] for key in SPEC} == SPEC and shown["deleted"] is False
    again = admin.post(f"/types/{type_id}/encryption", {"encryption": SPEC})
    assert again.status_code == 400 and "already exists" in again.text
    changed = {"key_size": 128, "provider": "SomeProvider", "control_location": "back-end"}
    updated = admin.put(f"/types/{type_id}/encryption/{body['encryption_id']}", {"encryption": changed})
    assert updated.status_code == 200 and updated.json() == {"encryption": changed}
    assert admin.get(f"/types/{type_id}/encryption/provider").json() == {"provider": "SomeProvider"}
    assert admin.get(f"/types/{type_id}/encryption/nope").status_code == 404
    assert admin.delete(f"/types/{type_id}/encryption/{body['encryption_id']}").status_code == 202
    assert admin.get(f"/types/{type_id}/encryption").json() == {}
    assert admin.delete(f"/types/{type_id}/encryption/{body['encryption_id']}").status_code == 404
    assert admin.get("/types/nope/encryption").status_code == 404


@pytest.mark.parametrize("spec", [{"provider": "luks"}, {"control_location": "front-end"},
                                  {**SPEC, "control_location": "middle"}, {**SPEC, "key_size": "big"}])
def test_bad_encryption_is_a_400(admin: Api, spec: dict[str, Any]) -> None:
    type_id = _type(admin, "secret")
    assert admin.post(f"/types/{type_id}/encryption", {"encryption": spec}).status_code == 400
    assert db.encryption_get(type_id) is None


def test_encrypted_type_refuses_volumes_and_in_use_type_refuses_changes(admin: Api) -> None:
    secret, plain = _type(admin, "secret"), _type(admin, "plain")
    encryption_id = admin.post(f"/types/{secret}/encryption", {"encryption": SPEC}).json()["encryption"][
        "encryption_id"]
    refused = admin.post("/volumes", {"volume": {"size": 1, "volume_type": secret}})
    assert refused.status_code == 400 and "key manager" in refused.text
    assert admin.get("/volumes?all_tenants=1").json()["volumes"] == []
    admin.create_volume(volume_type=plain)
    in_use = admin.post(f"/types/{plain}/encryption", {"encryption": SPEC})
    assert in_use.status_code == 400 and "Volume type in use" in in_use.text
    # and the specs of a type its volumes use stay as they are (put in directly: the api refuses to add them)
    with writer() as conn:
        conn.execute(sa.insert(table_of(models.VolumeTypeEncryption)).values(
            volume_type_id=plain, encryption_id=encryption_id, provider="luks", control_location="front-end",
            created_at=utcnow()))
    for answer in (admin.put(f"/types/{plain}/encryption/{encryption_id}", {"encryption": {"key_size": 512}}),
                   admin.delete(f"/types/{plain}/encryption/{encryption_id}")):
        assert answer.status_code == 400 and "Volume type in use" in answer.text
    assert db.encryption_get(plain) is not None
