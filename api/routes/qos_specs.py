"""/v3/qos-specs: QoS specs and their association with volume types (admin only, Cinder's
qos_specs_manage). A type has at most one QoS spec; front-end keys reach the connection_info of the
type's volumes (api.actions.qos), back-end keys the volume service's driver."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from api import paging, responses
from api import schema_types as t
from api.actions import qos as actions
from api.errors import BadRequest
from api.policies import qos_specs as rules
from api.request import ApiCall
from api.spec import Param, Req, Routes
from api.views import qos_specs as views
from db import api as db
from db.api.qos import SORT_KEYS as DB_SORT_KEYS

routes = Routes("/v3/qos-specs", tag="qos-specs", path_params={"qos_id": t.text()})

SORT_KEYS = {key: key for key in DB_SORT_KEYS}
CONSUMER = t.one_of(actions.CONSUMERS)
_KEY: t.JsonSchema = {"type": "string", "pattern": t.METADATA_KEY}
_VALUE = t.text()
_BOOL_WORD: t.JsonSchema = {"type": "string", "enum": sorted({*t.TRUE_WORDS, *t.FALSE_WORDS})}
LIST_PARAMS = (*paging.params(SORT_KEYS),
               Param("id", t.text(), "Only the specs with this id."),
               Param("name", t.text(), "Only the specs with this name."),
               Param("consumer", CONSUMER, "Only the specs of this consumer."))
CREATE_BODY = t.obj({"qos_specs": t.obj({"name": t.text(min_len=1), "consumer": CONSUMER},
                                        required=["name"], propertyNames=_KEY, additionalProperties=_VALUE)},
                    required=["qos_specs"], extra=False)
SET_BODY = t.obj({"qos_specs": t.obj({"consumer": CONSUMER}, propertyNames=_KEY, additionalProperties=_VALUE)},
                 required=["qos_specs"], extra=False)
UNSET_BODY = t.obj({"keys": {**t.array(t.text(min_len=1)), "uniqueItems": True}}, required=["keys"], extra=False)
VOL_TYPE_PARAM = Param("vol_type_id", t.text(), "The volume type's id.")
FORCE_PARAM = Param("force", _BOOL_WORD, "Delete even while associated with volume types (disassociating them).")
LINKS = {"show_qos_specs": {"qos_id": "$response.body#/qos_specs/id"},
         "delete_qos_specs": {"qos_id": "$response.body#/qos_specs/id"},
         "list_qos_associations": {"qos_id": "$response.body#/qos_specs/id"}}


@routes.get("", name="list_qos_specs", summary="List QoS specs.", query=LIST_PARAMS, response=views.LIST,
            policy=rules.GET_ALL)
def index(call: ApiCall, req: Req) -> Response:
    paged = paging.parse(req.query, sort_keys=SORT_KEYS, max_limit=call.settings.max_limit)
    filters: dict[str, str] = {key: req.query[key] for key in ("id", "name", "consumer") if key in req.query}
    found = db.qos_list(sort=paged.sort, limit=paged.limit, marker=paged.marker, offset=paged.offset,
                        filters=filters)
    body: dict[str, Any] = {"qos_specs": [views.detail(qos) for qos in found]}
    body.update(paging.next_links(call, req.raw_query, collection_path="/qos-specs", page=paged, rows=found,
                                  key="qos_specs"))
    return responses.json(body)


@routes.post("", name="create_qos_specs", summary="Create QoS specs (consumer: back-end unless given).",
             body=CREATE_BODY, response=views.ONE, policy=rules.CREATE, links=LINKS)
def create(call: ApiCall, req: Req) -> Response:
    given = dict(req.body["qos_specs"])
    name = given.pop("name").strip()
    if not name:
        raise BadRequest("Invalid input for field/attribute name. It must not be blank.")
    consumer = given.pop("consumer", None) or actions.DEFAULT_CONSUMER
    return responses.json(views.one(call, db.qos_create(name=name, consumer=consumer, specs=given)))


@routes.get("/{qos_id}", name="show_qos_specs", summary="Show QoS specs.", response=views.ONE,
            policy=rules.GET)
def show(call: ApiCall, req: Req, qos_id: str) -> Response:
    return responses.json(views.one(call, db.qos_get(qos_id)))


@routes.put("/{qos_id}", name="set_qos_keys", summary="Add or change QoS keys (and the consumer).",
            body=SET_BODY, response=views.KEYS, policy=rules.UPDATE)
def update(call: ApiCall, req: Req, qos_id: str) -> Response:
    given = dict(req.body["qos_specs"])
    consumer = given.pop("consumer", None)
    db.qos_update(qos_id, consumer=consumer, specs=given)
    return responses.json({"qos_specs": dict(req.body["qos_specs"])})


@routes.put("/{qos_id}/delete_keys", name="unset_qos_keys", summary="Remove QoS keys.", body=UNSET_BODY,
            success=202, policy=rules.DELETE)
def delete_keys(call: ApiCall, req: Req, qos_id: str) -> Response:
    db.qos_delete_keys(qos_id, req.body["keys"])
    return responses.accepted()


@routes.delete("/{qos_id}", name="delete_qos_specs", summary="Delete QoS specs; refused while associated with "
               "a volume type unless force=True.", query=(FORCE_PARAM,), success=202, policy=rules.DELETE)
def delete(call: ApiCall, req: Req, qos_id: str) -> Response:
    try:
        db.qos_delete(qos_id, force=t.truthy(req.query.get("force", "False")))
    except db.QosSpecsInUse as exc:
        raise BadRequest("Qos specs still in use.") from exc
    return responses.accepted()


@routes.get("/{qos_id}/associations", name="list_qos_associations",
            summary="The volume types associated with the QoS specs.", response=views.ASSOCIATIONS,
            policy=rules.GET_ALL)
def associations(call: ApiCall, req: Req, qos_id: str) -> Response:
    return responses.json(views.associations(db.qos_associations(qos_id)))


def _type_id(req: Req) -> str:
    type_id = req.query.get("vol_type_id")
    if not type_id:
        raise BadRequest("Volume Type id must not be None.")
    return str(type_id)


@routes.get("/{qos_id}/associate", name="associate_qos_specs",
            summary="Associate the QoS specs with a volume type (which must have no other).",
            query=(VOL_TYPE_PARAM,), success=202, policy=rules.UPDATE)
def associate(call: ApiCall, req: Req, qos_id: str) -> Response:
    db.qos_associate(qos_id, _type_id(req))
    call.type_names.invalidate()
    return responses.accepted()


@routes.get("/{qos_id}/disassociate", name="disassociate_qos_specs",
            summary="Disassociate the QoS specs from a volume type.", query=(VOL_TYPE_PARAM,), success=202,
            policy=rules.UPDATE)
def disassociate(call: ApiCall, req: Req, qos_id: str) -> Response:
    db.qos_disassociate(qos_id, _type_id(req))
    call.type_names.invalidate()
    return responses.accepted()


@routes.get("/{qos_id}/disassociate_all", name="disassociate_all_qos_specs",
            summary="Disassociate the QoS specs from every volume type.", success=202, policy=rules.UPDATE)
def disassociate_all(call: ApiCall, req: Req, qos_id: str) -> Response:
    db.qos_disassociate(qos_id)
    call.type_names.invalidate()
    return responses.accepted()
