"""/v3/types/{type_id}/encryption: a volume type's encryption specs (admin only, Cinder's
volume_type_encryption). Stored and shown as Cinder does; ember has no key manager, so a volume of an
encrypted type is refused at create (api.actions.encryption). Specs cannot be created, changed or removed
while volumes of the type exist (Cinder's 400)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from api import responses
from api import schema_types as t
from api.policies import volume_type as rules
from api.request import ApiCall
from api.spec import Req, Routes
from api.views.common import iso
from db import api as db
from db import errors as db_errors
from db.records import TypeEncryption

routes = Routes("/v3/types", tag="types",
                path_params={"type_id": t.text(), "encryption_id": t.text(), "key": t.text(min_len=1)})

CONTROL_LOCATIONS = ("front-end", "back-end")
KEY_SIZE: t.JsonSchema = {"type": ["integer", "string", "null"], "minimum": 0, "maximum": t.MAX_INT,
                          "pattern": t.up_to(t.MAX_INT)}
_FIELDS = {"key_size": KEY_SIZE, "provider": t.text(), "control_location": t.one_of(CONTROL_LOCATIONS),
           "cipher": t.nullable(t.text())}
CREATE_BODY = t.obj({"encryption": t.obj(_FIELDS, required=["provider", "control_location"])},
                    required=["encryption"], extra=False)
UPDATE_BODY = t.obj({"encryption": t.obj(_FIELDS)}, required=["encryption"], extra=False)
_SPEC = t.obj({**_FIELDS, "key_size": t.nullable(t.INTEGER), "volume_type_id": t.STRING,
               "encryption_id": t.STRING})
SHOWN = t.obj({**_SPEC["properties"], "created_at": t.STRING, "updated_at": t.STRING_OR_NULL,
               "deleted": t.BOOL, "deleted_at": t.STRING_OR_NULL})
ONE = t.obj({"encryption": _SPEC}, required=["encryption"])
ITEM = t.obj({}, minProperties=1, maxProperties=1)
LINKS = {"show_type_encryption": {"type_id": "$response.body#/encryption/volume_type_id"},
         "delete_type_encryption": {"type_id": "$response.body#/encryption/volume_type_id",
                                    "encryption_id": "$response.body#/encryption/encryption_id"}}


def shown(spec: TypeEncryption) -> dict[str, Any]:
    """Every column of the spec, as Cinder's show lists them (encryption specs are not soft-deleted here,
    so deleted is always false)."""
    return {"volume_type_id": spec.volume_type_id, "encryption_id": spec.encryption_id,
            "provider": spec.provider, "cipher": spec.cipher, "key_size": spec.key_size,
            "control_location": spec.control_location, "created_at": iso(spec.created_at),
            "updated_at": iso(spec.updated_at), "deleted": False, "deleted_at": None}


def _values(given: dict[str, Any]) -> dict[str, Any]:
    """The known fields given, key_size as an integer (Cinder's)."""
    values = {key: given[key] for key in _FIELDS if key in given}
    if values.get("key_size") is not None:
        values["key_size"] = int(values["key_size"])
    return values


@routes.get("/{type_id}/encryption", name="show_type_encryption",
            summary="A volume type's encryption specs ({} if it has none).", response=SHOWN,
            policy=rules.ENCRYPTION_GET)
def index(call: ApiCall, req: Req, type_id: str) -> Response:
    spec = db.encryption_get(type_id)
    return responses.json({} if spec is None else shown(spec))


@routes.get("/{type_id}/encryption/{key}", name="show_type_encryption_item",
            summary="One field of a volume type's encryption specs.", response=ITEM, policy=rules.ENCRYPTION_GET)
def show(call: ApiCall, req: Req, type_id: str, key: str) -> Response:
    spec = db.encryption_get(type_id)
    fields = {} if spec is None else shown(spec)
    if key not in fields:
        raise db_errors.NotFound("Volume type encryption for type", type_id)
    return responses.json({key: fields[key]})


@routes.post("/{type_id}/encryption", name="create_type_encryption",
             summary="Give a volume type encryption specs (stored only: ember has no key manager).",
             body=CREATE_BODY, response=ONE, policy=rules.ENCRYPTION_CREATE, links=LINKS)
def create(call: ApiCall, req: Req, type_id: str) -> Response:
    values = _values(req.body["encryption"])
    spec = db.encryption_create(type_id, provider=values["provider"], control_location=values["control_location"],
                                cipher=values.get("cipher"), key_size=values.get("key_size"))
    # Cinder answers the request's fields, with the two ids its database added
    return responses.json({"encryption": {**values, "volume_type_id": spec.volume_type_id,
                                          "encryption_id": spec.encryption_id}})


@routes.put("/{type_id}/encryption/{encryption_id}", name="update_type_encryption",
            summary="Change a volume type's encryption specs.", body=UPDATE_BODY, response=ONE,
            policy=rules.ENCRYPTION_UPDATE)
def update(call: ApiCall, req: Req, type_id: str, encryption_id: str) -> Response:
    values = _values(req.body["encryption"])
    if values:
        db.encryption_update(type_id, **values)
    elif db.encryption_get(type_id) is None:
        raise db_errors.NotFound("Volume type encryption for type", type_id)
    return responses.json({"encryption": values})


@routes.delete("/{type_id}/encryption/{encryption_id}", name="delete_type_encryption",
               summary="Remove a volume type's encryption specs.", success=202, policy=rules.ENCRYPTION_DELETE)
def delete(call: ApiCall, req: Req, type_id: str, encryption_id: str) -> Response:
    db.encryption_delete(type_id)
    return responses.accepted()
