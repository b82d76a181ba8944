"""/v3/group_types (3.11) with their group specs, and /v3/groups (3.13): generic volume groups."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.responses import Response

from api import listing, paging, responses
from api import schema_types as t
from api.actions import groups as actions
from api.errors import BadRequest
from api.policies import groups as rules
from api.request import ApiCall
from api.spec import Action, Param, Req, Routes
from api.views import groups as views
from db import api as db
from db import errors as db_errors
from db.api.groups import TYPE_SORT_KEYS
from volume.states.groups import GROUP_RESETTABLE

TYPES_SINCE = 11
GROUPS_SINCE = 13
FROM_SOURCE_SINCE = 14
RESET_SINCE = 20

types = Routes("/v3/group_types", tag="group types",
               path_params={"group_type_id": t.text(min_len=1), "key": {"type": "string", "pattern": t.METADATA_KEY}})
groups = Routes("/v3/groups", tag="groups", path_params={"group_id": t.ID})

# -- group types -------------------------------------------------------------------------------------

TYPE_SORT = {key: key for key in TYPE_SORT_KEYS}
IS_PUBLIC: t.JsonSchema = {"type": "string", "enum": sorted({*t.TRUE_WORDS, *t.FALSE_WORDS, "None", "none"})}
TYPE_LIST_PARAMS = (*paging.params(TYPE_SORT),
                    Param("is_public", IS_PUBLIC, "Admins: only public (true, the default) or private (false) types; "
                                                  "None: all."))
_TYPE_NAME = t.text(min_len=1)
TYPE_CREATE = t.obj({"group_type": t.obj({
    "name": _TYPE_NAME, "description": t.DESCRIPTION, "is_public": t.BOOLEAN, "group_specs": t.METADATA},
    required=["name"], extra=False)}, required=["group_type"])
TYPE_UPDATE = t.obj({"group_type": t.obj({
    "name": t.nullable(_TYPE_NAME), "description": t.DESCRIPTION, "is_public": t.nullable(t.BOOLEAN)},
    extra=False)}, required=["group_type"])
SPECS_BODY = t.obj({"group_specs": t.METADATA}, required=["group_specs"])
SPEC_BODY = {**t.METADATA, "minProperties": 1, "maxProperties": 1}


def _name(name: str) -> str:
    if not name.strip():
        raise BadRequest("Group type name can not be empty.")
    return name.strip()


@types.get("", name="list_group_types", summary="List group types.", query=TYPE_LIST_PARAMS,
           response=views.GROUP_TYPE_LIST, since=TYPES_SINCE, policy=rules.TYPE_GET_ALL)
def type_index(call: ApiCall, req: Req) -> Response:
    paged = paging.parse(req.query, sort_keys=TYPE_SORT, max_limit=call.settings.max_limit,
                         default_sort=[("name", "asc")])
    wanted = req.query.get("is_public")
    # Cinder: public types unless an admin asks otherwise ("None": every type)
    public: bool | None = True
    if call.is_admin and wanted is not None:
        public = None if wanted in ("None", "none") else t.truthy(wanted)
    found = db.group_type_list(is_public=public, sort=paged.sort, limit=paged.limit, marker=paged.marker,
                               offset=paged.offset)
    body: dict[str, Any] = {"group_types": [views.group_type(call, gtype) for gtype in found]}
    links = paging.next_links(call, req.raw_query, collection_path="/group_types", page=paged, rows=found,
                              key="group_types")
    body.update({"group_type_links" if key.endswith("_links") else key: value for key, value in links.items()})
    return responses.json(body)


@types.get("/{group_type_id}", name="show_group_type", summary="Show a group type ('default': the configured "
           "default group type, which ember does not have: 404 as Cinder without one).",
           response=views.GROUP_TYPE_ONE, since=TYPES_SINCE, policy=rules.TYPE_GET)
def type_show(call: ApiCall, req: Req, group_type_id: str) -> Response:
    if group_type_id == "default":
        raise db_errors.NotFound("Default group type", "default")
    return responses.json({"group_type": views.group_type(call, _type(call, group_type_id))})


def _type(call: ApiCall, ref: str) -> Any:
    gtype = db.group_type_get(ref)
    if not gtype.is_public and not call.is_admin:
        raise db_errors.NotFound("Group type", ref)
    return gtype


@types.post("", name="create_group_type", summary="Create a group type.", success=202, body=TYPE_CREATE,
            response=views.GROUP_TYPE_ONE, since=TYPES_SINCE, policy=rules.TYPE_CREATE,
            links={"show_group_type": {"group_type_id": "$response.body#/group_type/id"},
                   "delete_group_type": {"group_type_id": "$response.body#/group_type/id"}})
def type_create(call: ApiCall, req: Req) -> Response:
    spec = req.body["group_type"]
    public = spec.get("is_public")
    gtype = db.group_type_create(name=_name(spec["name"]), description=spec.get("description"),
                                 is_public=True if public is None else t.truthy(public),
                                 group_specs=dict(spec.get("group_specs") or {}))
    return responses.json({"group_type": views.group_type(call, gtype)}, 202)


@types.put("/{group_type_id}", name="update_group_type", summary="Change a group type's name, description or "
           "visibility.", body=TYPE_UPDATE, response=views.GROUP_TYPE_ONE, since=TYPES_SINCE,
           policy=rules.TYPE_UPDATE)
def type_update(call: ApiCall, req: Req, group_type_id: str) -> Response:
    spec = req.body["group_type"]
    values: dict[str, Any] = {}
    if spec.get("name") is not None:
        values["name"] = _name(spec["name"])
    if "description" in spec and spec["description"] is not None:
        values["description"] = spec["description"]
    if spec.get("is_public") is not None:
        values["is_public"] = t.truthy(spec["is_public"])
    if not values:
        raise BadRequest("Specify group type name, description or a combination thereof.")
    gtype = db.group_type_update(db.group_type_get(group_type_id).id, **values)
    return responses.json({"group_type": views.group_type(call, gtype)})


@types.delete("/{group_type_id}", name="delete_group_type", summary="Delete a group type no group uses.",
              success=202, since=TYPES_SINCE, policy=rules.TYPE_DELETE)
def type_delete(call: ApiCall, req: Req, group_type_id: str) -> Response:
    gtype = db.group_type_get(group_type_id)
    try:
        db.group_type_delete(gtype.id)
    except db_errors.Conflict:
        raise BadRequest("Target group type is still in use.") from None
    return responses.accepted()


@types.get("/{group_type_id}/group_specs", name="list_group_specs", summary="A group type's group specs.",
           response=views.GROUP_SPECS, since=TYPES_SINCE, policy=rules.SPEC_GET_ALL)
def specs_index(call: ApiCall, req: Req, group_type_id: str) -> Response:
    return responses.json({"group_specs": db.group_type_get(group_type_id).group_specs})


@types.post("/{group_type_id}/group_specs", name="set_group_specs", summary="Add or change group specs.",
            success=202, body=SPECS_BODY, response=views.GROUP_SPECS, since=TYPES_SINCE, policy=rules.SPEC_CREATE)
def specs_create(call: ApiCall, req: Req, group_type_id: str) -> Response:
    specs = dict(req.body["group_specs"])
    db.group_specs_set(group_type_id, specs)
    return responses.json({"group_specs": specs}, 202)


@types.get("/{group_type_id}/group_specs/{key}", name="show_group_spec", summary="One group spec.",
           response=t.STRING_MAP, since=TYPES_SINCE, policy=rules.SPEC_GET)
def spec_show(call: ApiCall, req: Req, group_type_id: str, key: str) -> Response:
    specs = db.group_type_get(group_type_id).group_specs
    if key not in specs:
        raise db_errors.NotFound("Group type spec", key)
    return responses.json({key: specs[key]})


@types.put("/{group_type_id}/group_specs/{key}", name="update_group_spec", summary="Set one group spec.",
           body=SPEC_BODY, response=t.STRING_MAP, since=TYPES_SINCE, policy=rules.SPEC_UPDATE)
def spec_update(call: ApiCall, req: Req, group_type_id: str, key: str) -> Response:
    if key not in req.body:
        raise BadRequest("Request body and URI mismatch")
    db.group_specs_set(group_type_id, dict(req.body))
    return responses.json(dict(req.body))


@types.delete("/{group_type_id}/group_specs/{key}", name="delete_group_spec", summary="Remove one group spec.",
              success=202, since=TYPES_SINCE, policy=rules.SPEC_DELETE)
def spec_delete(call: ApiCall, req: Req, group_type_id: str, key: str) -> Response:
    db.group_spec_delete(group_type_id, key)
    return responses.accepted()


# -- groups --------------------------------------------------------------------------------------------

GROUP_SORT = {key: key for key in ("id", "name", "status", "created_at", "updated_at", "availability_zone",
                                   "project_id")}
LIST_VOLUME = Param("list_volume", paging.BOOLEAN_QUERY, "From 3.25: each group's volume ids.")
LIST_PARAMS = (*paging.params(GROUP_SORT), *paging.PROJECT_PARAMS, LIST_VOLUME,
               Param("name", t.text(), "Only groups with exactly this name."),
               Param("status", t.text(), "Only groups in this status."))
_VOLUME_IDS = t.text(max_len=65535)
CREATE_BODY = t.obj({"group": t.obj({
    "group_type": t.text(min_len=1), "volume_types": t.array(t.text(min_len=1)), "name": t.NAME,
    "description": t.DESCRIPTION, "availability_zone": t.NAME}, required=["group_type", "volume_types"],
    extra=False)}, required=["group"])
UPDATE_BODY = t.obj({"group": t.obj({
    "name": t.NAME, "description": t.DESCRIPTION, "add_volumes": t.nullable(_VOLUME_IDS),
    "remove_volumes": t.nullable(_VOLUME_IDS)}, extra=False)}, required=["group"])
DELETE_ARGS = t.obj({"delete-volumes": t.BOOLEAN}, extra=False)
RESET_ARGS = t.obj({"status": t.one_of(GROUP_RESETTABLE)}, required=["status"], extra=False)
GROUP_LINKS = {"show_group": {"group_id": "$response.body#/group/id"},
               "group_action": {"group_id": "$response.body#/group/id"}}


def _filters(query: Mapping[str, Any]) -> dict[str, Any]:
    return {key: query[key] for key in ("name", "status") if key in query}


def _stripped(value: str | None) -> str | None:
    return value.strip() if value else value


@groups.post("", name="create_group", summary="Create a group of volume types (of a group type); its volumes "
             "are then created into it or added.", success=202, body=CREATE_BODY, response=views.ONE_SUMMARY,
             since=GROUPS_SINCE, policy=rules.CREATE, links=GROUP_LINKS)
def create(call: ApiCall, req: Req) -> Response:
    body = req.body["group"]
    group = actions.create(call, group_type=body["group_type"], volume_types=body["volume_types"],
                           name=_stripped(body.get("name")), description=_stripped(body.get("description")),
                           availability_zone=body.get("availability_zone") or None)
    return responses.json({"group": views.summary(call, group)}, 202)


@groups.get("", name="list_groups", summary="List groups (id, name).", query=LIST_PARAMS,
            response=views.listing(views.SUMMARY), since=GROUPS_SINCE, policy=rules.GET_ALL)
def index(call: ApiCall, req: Req) -> Response:
    return _list(call, req, detailed=False)


@groups.get("/detail", name="list_groups_detail", summary="List groups with every field.", query=LIST_PARAMS,
            response=views.listing(views.DETAIL), since=GROUPS_SINCE, policy=rules.GET_ALL)
def detail(call: ApiCall, req: Req) -> Response:
    return _list(call, req, detailed=True)


def _list(call: ApiCall, req: Req, *, detailed: bool) -> Response:
    reserved = actions._reserved_type_id()
    members: dict[str, list[str]] = {}
    wants_volumes = detailed and bool(req.query.get("list_volume"))

    def fetch(**query: Any) -> list[Any]:
        found = [g for g in db.group_list(**query) if g.group_type_id != reserved]
        if wants_volumes:
            members.update({gid: [v.id for v in vols] for gid, vols in db.group_volumes(g.id for g in found).items()})
        return found

    def view(c: ApiCall, group: Any) -> dict[str, Any]:
        if not detailed:
            return views.summary(c, group)
        return views.detail(c, group, volume_ids=members.get(group.id) if wants_volumes else None)

    return listing.page(call, req, key="groups", path="/groups/detail" if detailed else "/groups",
                        sort_keys=GROUP_SORT, filters=_filters, fetch=fetch, count=None, view=view)


@groups.get("/{group_id}", name="show_group", summary="Show a group.", query=(LIST_VOLUME,), response=views.ONE,
            since=GROUPS_SINCE, policy=rules.GET)
def show(call: ApiCall, req: Req, group_id: str) -> Response:
    group = actions.get(call, group_id)
    volume_ids = None
    if req.query.get("list_volume"):
        volume_ids = [v.id for v in db.group_volumes([group.id])[group.id]]
    return responses.json({"group": views.detail(call, group, volume_ids=volume_ids)})


@groups.put("/{group_id}", name="update_group", summary="Rename a group, and add or remove volumes "
            "(comma-separated ids).", success=202, body=UPDATE_BODY, since=GROUPS_SINCE, policy=rules.UPDATE)
def update(call: ApiCall, req: Req, group_id: str) -> Response:
    body = req.body["group"]
    actions.update(call, group_id, name=_stripped(body.get("name")), description=_stripped(body.get("description")),
                   add_volumes=body.get("add_volumes"), remove_volumes=body.get("remove_volumes"))
    return responses.accepted()


def _delete(call: ApiCall, args: dict[str, Any], group_id: str) -> Response:
    actions.delete(call, group_id, delete_volumes=t.truthy(args.get("delete-volumes", False)))
    return responses.accepted()


def _reset(call: ApiCall, args: dict[str, Any], group_id: str) -> Response:
    actions.reset_status(call, group_id, status=args["status"])
    return responses.accepted()


groups.actions("/{group_id}/action", [
    Action("delete", DELETE_ARGS, _delete, 202, "Delete the group; with delete-volumes, its volumes too.",
           policy=rules.DELETE),
    Action("reset_status", RESET_ARGS, _reset, 202, "Set a group's status (admin).", policy=rules.RESET_STATUS,
           since=RESET_SINCE),
], name="group_action", summary="Act on a group.", since=GROUPS_SINCE, policy=rules.GET, casts=True)


FROM_SOURCE_ARGS = t.obj({"group_snapshot_id": t.ID_OR_NULL, "source_group_id": t.ID_OR_NULL, "name": t.NAME,
                          "description": t.DESCRIPTION}, extra=False)


def _create_from_src(call: ApiCall, args: dict[str, Any]) -> Response:
    group = actions.create_from_src(call, group_snapshot_id=args.get("group_snapshot_id") or None,
                                    source_group_id=args.get("source_group_id") or None,
                                    name=_stripped(args.get("name")), description=_stripped(args.get("description")))
    return responses.json({"group": views.summary(call, group)}, 202)


groups.actions("/action", [
    Action("create-from-src", FROM_SOURCE_ARGS, _create_from_src, 202, "Create a group from a group snapshot "
           "or another group, with a copy of each of its volumes.", policy=rules.CREATE, since=FROM_SOURCE_SINCE),
], name="create_group_from_source", summary="Create a group from a group snapshot or a group.", since=GROUPS_SINCE,
    policy=rules.CREATE, casts=True, response=views.ONE_SUMMARY)
