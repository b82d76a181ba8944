"""/v3/volumes: create, list, show, update, delete, and the volume actions."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from starlette.responses import Response

from api import listing, paging, responses, schemas
from api import schema_types as t
from api.actions import attachments as attachment_actions
from api.actions import migration, retype
from api.actions import qos as qos_actions
from api.actions import volumes as actions
from api.policies import manageable as manage_rules
from api.policies import volume_actions as action_rules
from api.policies import volumes as rules
from api.request import ApiCall
from api.spec import Action, Param, Req, Routes
from api.views import attachments as attachment_views
from api.views import volumes as views
from db import api as db
from db.records import Attachment, Volume
from volume.states.attachments import AttachStatus
from volume.states.volumes import MigrationStatus

routes = Routes("/v3/volumes", tag="volumes", path_params={"volume_id": t.ID})

SORT_KEYS = {"id": "id", "name": "name", "display_name": "name", "status": "status", "size": "size_gb",
             "created_at": "created_at", "updated_at": "updated_at", "availability_zone": "availability_zone",
             "bootable": "bootable", "project_id": "project_id", "host": "host", "volume_type": "volume_type_id"}
FILTER_PARAMS = (
    Param("name", t.text(), "Only volumes with exactly this name."),
    Param("display_name", t.text(), "The same as name."),
    Param("name~", t.text(), "Only volumes whose name contains this."),
    Param("status", t.text(), "Only volumes in this status."),
    Param("availability_zone", t.text()),
    Param("bootable", paging.BOOLEAN_QUERY),
    listing.METADATA_PARAM,
)
LIST_PARAMS = (*paging.params(SORT_KEYS), paging.COUNT_PARAM, *paging.PROJECT_PARAMS, *FILTER_PARAMS)
SHOW_LINKS = {"show_volume": {"volume_id": "$response.body#/volume/id"},
              "delete_volume": {"volume_id": "$response.body#/volume/id"},
              "volume_action": {"volume_id": "$response.body#/volume/id"},
              "update_volume": {"volume_id": "$response.body#/volume/id"}}


@routes.post("", name="create_volume", summary="Create a volume (empty, from a snapshot or a clone).",
             success=202, body=schemas.VOLUME_CREATE, response=views.ONE, links=SHOW_LINKS, casts=True, policy=rules.CREATE)
def create(call: ApiCall, req: Req) -> Response:
    volume = actions.create(call, schemas.parse_volume_create(req.body, call.minor))
    return responses.json({"volume": views.detail(call, volume, extended=False)}, 202)


@routes.get("", name="list_volumes", summary="List volumes (id, name, links).", query=LIST_PARAMS,
            response=views.listing(views.SUMMARY), policy=rules.GET_ALL)
def index(call: ApiCall, req: Req) -> Response:
    return _list(call, req, views.summary, "/volumes")


@routes.get("/detail", name="list_volumes_detail", summary="List volumes with every field.", query=LIST_PARAMS,
            response=views.listing(views.DETAIL), policy=rules.GET_ALL)
def detail(call: ApiCall, req: Req) -> Response:
    attached: dict[str, list[Attachment]] = {}

    def fetch(**query: Any) -> list[Volume]:
        volumes = db.volume_list(**query)
        attached.update(db.attachments_of(v.id for v in volumes if v.attach_status != AttachStatus.DETACHED))
        return volumes

    return _list(call, req, lambda c, v: views.detail(c, v, attachments=attached.get(v.id, [])),
                 "/volumes/detail", fetch=fetch)


def _list(call: ApiCall, req: Req, view: Callable[[ApiCall, Volume], dict[str, Any]], path: str,
          fetch: Callable[..., list[Volume]] | None = None) -> Response:
    return listing.page(call, req, key="volumes", path=path, sort_keys=SORT_KEYS, filters=_filters,
                        fetch=fetch or db.volume_list, count=db.volume_count, view=view)


def _filters(query: Mapping[str, Any]) -> dict[str, Any]:
    filters = {key: query[key] for key in ("name", "name~", "status", "availability_zone", "bootable")
               if key in query}
    if "display_name" in query:
        filters["name"] = query["display_name"]
    return filters


SUMMARY = t.obj({"volume-summary": t.obj({"total_size": t.INTEGER, "total_count": t.INTEGER,
                                           "metadata": t.obj({}, additionalProperties=t.array(t.STRING))},
                                          required=["total_size", "total_count"])}, required=["volume-summary"])
SUMMARY_SINCE = 12
SUMMARY_METADATA_SINCE = 36


@routes.get("/summary", name="show_volume_summary", summary="How many volumes, their total size and metadata.",
            query=paging.PROJECT_PARAMS, since=SUMMARY_SINCE, response=SUMMARY, policy=rules.GET_ALL)
def summary(call: ApiCall, req: Req) -> Response:
    volumes = db.volume_list(project_id=listing.project_scope(call, req.query), sort=(("id", "asc"),))
    body: dict[str, Any] = {"total_size": sum(v.size_gb for v in volumes), "total_count": len(volumes)}
    if call.since(SUMMARY_METADATA_SINCE):
        values: dict[str, set[str]] = {}
        for volume in volumes:
            for key, value in volume.metadata.items():
                values.setdefault(key, set()).add(value)
        body["metadata"] = {key: sorted(found) for key, found in sorted(values.items())}
    return responses.json({"volume-summary": body})


@routes.get("/{volume_id}", name="show_volume", summary="Show a volume.", response=views.ONE,
            policy=rules.GET)
def show(call: ApiCall, req: Req, volume_id: str) -> Response:
    return responses.json({"volume": views.detail(call, actions.get(call, volume_id))})


@routes.put("/{volume_id}", name="update_volume", summary="Change a volume's name, description or metadata.",
            body=schemas.VOLUME_UPDATE, response=views.ONE, policy=rules.UPDATE)
def update(call: ApiCall, req: Req, volume_id: str) -> Response:
    volume = actions.update(call, volume_id, values=schemas.parse_volume_update(req.body, call.minor))
    return responses.json({"volume": views.detail(call, volume, extended=False)})


@routes.delete("/{volume_id}", name="delete_volume", summary="Delete a volume.", success=202, casts=True,
               policy=rules.DELETE,
               query=(Param("cascade", paging.BOOLEAN_QUERY, "Also delete the volume's snapshots (each available or error)."),))
def delete(call: ApiCall, req: Req, volume_id: str) -> Response:
    actions.delete(call, volume_id, cascade=bool(req.query.get("cascade")))
    return responses.accepted()


def _extend(call: ApiCall, args: dict[str, Any], volume_id: str) -> Response:
    actions.extend(call, volume_id, new_size_gb=int(args["new_size"]))
    return responses.accepted()


def _reset_status(call: ApiCall, args: dict[str, Any], volume_id: str) -> Response:
    values: dict[str, Any] = {}
    if "attach_status" in args:
        values["attach_status"] = args["attach_status"]
    if "migration_status" in args:
        values["migration_status"] = (None if args["migration_status"] == MigrationStatus.NONE
                                      else args["migration_status"])
    actions.reset_status(call, volume_id, status=args.get("status"), values=values)
    return responses.accepted()


def _force_delete(call: ApiCall, args: dict[str, Any], volume_id: str) -> Response:
    actions.force_delete(call, volume_id)
    return responses.accepted()


def _set_bootable(call: ApiCall, args: dict[str, Any], volume_id: str) -> Response:
    actions.set_bootable(call, volume_id, bootable=t.truthy(args["bootable"]))
    return Response(status_code=200)


def _revert(call: ApiCall, args: dict[str, Any], volume_id: str) -> Response:
    actions.revert(call, volume_id, snapshot_id=args["snapshot_id"])
    return responses.accepted()


def _unmanage(call: ApiCall, args: dict[str, Any], volume_id: str) -> Response:
    actions.unmanage(call, volume_id)
    return responses.accepted()


def _retype(call: ApiCall, args: dict[str, Any], volume_id: str) -> Response:
    retype.retype(call, volume_id, new_type=args["new_type"], migration_policy=args.get("migration_policy"))
    return responses.accepted()


def _migrate(call: ApiCall, args: dict[str, Any], volume_id: str) -> Response:
    # ember always copies through the hosts and always holds the volume (status maintenance) meanwhile:
    # force_host_copy and lock_volume are accepted and change nothing
    migration.migrate(call, volume_id, host=args.get("host"), cluster=args.get("cluster"))
    return responses.accepted()


def _migrate_completion(call: ApiCall, args: dict[str, Any], volume_id: str) -> Response:
    saved = migration.complete(call, volume_id, new_volume_id=args["new_volume"], error=t.truthy(args.get("error")))
    return responses.json({"save_volume_id": saved})


def _update_readonly(call: ApiCall, args: dict[str, Any], volume_id: str) -> Response:
    # Cinder keeps the flag as the metadata key "readonly" ("True"/"False"), where clients read it
    readonly = str(t.truthy(args["readonly"]))
    actions.change_metadata(call, volume_id, change=lambda current: {**current, "readonly": readonly})
    return responses.accepted()


def _reserve(call: ApiCall, args: dict[str, Any], volume_id: str) -> Response:
    attachment_actions.legacy_reserve(call, volume_id)
    return responses.accepted()


def _unreserve(call: ApiCall, args: dict[str, Any], volume_id: str) -> Response:
    attachment_actions.legacy_unreserve(call, volume_id)
    return responses.accepted()


def _initialize_connection(call: ApiCall, args: dict[str, Any], volume_id: str) -> Response:
    attachment = attachment_actions.legacy_initialize_connection(call, volume_id, args["connector"])
    volume = db.volume_get(attachment.volume_id)
    info = attachment_views.legacy_connection_info(attachment, volume,
                                                   call.type_names.extra_specs(volume.volume_type_id),
                                                   qos_actions.connection_qos(call, volume))
    return responses.json({"connection_info": info})


def _attach(call: ApiCall, args: dict[str, Any], volume_id: str) -> Response:
    attachment_actions.legacy_attach(call, volume_id, instance_uuid=args.get("instance_uuid"),
                                     host_name=args.get("host_name"), mountpoint=args.get("mountpoint"),
                                     mode=args.get("mode") or "rw")
    return responses.accepted()


def _begin_detaching(call: ApiCall, args: dict[str, Any], volume_id: str) -> Response:
    attachment_actions.legacy_detaching(call, volume_id, "detach.begin")
    return responses.accepted()


def _roll_detaching(call: ApiCall, args: dict[str, Any], volume_id: str) -> Response:
    attachment_actions.legacy_detaching(call, volume_id, "detach.fail")
    return responses.accepted()


def _detach(call: ApiCall, args: dict[str, Any], volume_id: str) -> Response:
    attachment_actions.legacy_detach(call, volume_id, args.get("attachment_id"))
    return responses.accepted()


def _terminate_connection(call: ApiCall, args: dict[str, Any], volume_id: str) -> Response:
    attachment_actions.legacy_terminate_connection(call, volume_id, args["connector"])
    return responses.accepted()


def _force_detach(call: ApiCall, args: dict[str, Any], volume_id: str) -> Response:
    attachment_actions.force_detach(call, volume_id, attachment_id=args.get("attachment_id"),
                                    connector=args.get("connector"))
    return responses.accepted()


routes.actions("/{volume_id}/action", [
    Action("os-extend", schemas.EXTEND_ARGS, _extend, 202,
           "Grow the volume to new_size GB (from 3.42 also while it is in-use).", policy=action_rules.EXTEND),
    Action("os-reserve", schemas.NO_ARGS, _reserve, 202, "Legacy attach: reserve the volume for an attachment.",
           policy=action_rules.RESERVE),
    Action("os-unreserve", schemas.NO_ARGS, _unreserve, 202, "Legacy attach: give up the reservation.",
           policy=action_rules.UNRESERVE),
    Action("os-initialize_connection", schemas.CONNECTOR_ARGS, _initialize_connection, 200,
           "Legacy attach: connect the volume to the host's connector; returns connection_info.",
           policy=action_rules.INITIALIZE, calls_service=True),
    Action("os-attach", schemas.ATTACH_ARGS, _attach, 202, "Legacy attach: the host attached the volume.",
           policy=action_rules.ATTACH),
    Action("os-begin_detaching", schemas.NO_ARGS, _begin_detaching, 202, "Legacy detach: mark the volume detaching.",
           policy=action_rules.BEGIN_DETACHING),
    Action("os-roll_detaching", schemas.NO_ARGS, _roll_detaching, 202, "Legacy detach: back to in-use.",
           policy=action_rules.ROLL_DETACHING),
    Action("os-detach", schemas.DETACH_ARGS, _detach, 202,
           "Legacy detach: end the attachment (and its connection).", policy=action_rules.DETACH, calls_service=True),
    Action("os-terminate_connection", schemas.CONNECTOR_ARGS, _terminate_connection, 202,
           "Legacy detach: the host's connector loses access; the attachment stays until os-detach.",
           policy=action_rules.TERMINATE, calls_service=True),
    Action("os-force_detach", schemas.FORCE_DETACH_ARGS, _force_detach, 202,
           "Admin: detach the attachment (or the connector's, or all) whatever its status.",
           policy=action_rules.FORCE_DETACH, calls_service=True),
    Action("os-reset_status", schemas.VOLUME_RESET_ARGS, _reset_status, 202,
           "Admin: set the status, attach_status or migration_status; refused while a service works on it.",
           policy=action_rules.RESET_STATUS),
    Action("os-force_delete", schemas.NO_ARGS, _force_delete, 202,
           "Admin: delete whatever the status; refused while a service works on it.",
           policy=action_rules.FORCE_DELETE),
    Action("revert", schemas.REVERT_ARGS, _revert, 202,
           "Revert an available volume to its latest snapshot (of the same size).",
           policy=action_rules.REVERT, since=actions.REVERT_SINCE),
    Action("os-unmanage", schemas.NO_ARGS, _unmanage, 202,
           "Admin: forget the volume and give back its quota; its data stays on the storage.",
           policy=manage_rules.VOLUME_UNMANAGE),
    Action("os-set_bootable", schemas.SET_BOOTABLE_ARGS, _set_bootable, 200, "Mark the volume bootable or not.",
           policy=rules.UPDATE),
    Action("os-retype", schemas.RETYPE_ARGS, _retype, 202,
           "Give the volume another type: where it lies if its pool meets the type, else (migration_policy "
           "on-demand) by moving it to a backend that does.", policy=action_rules.RETYPE),
    Action("os-migrate_volume", schemas.MIGRATE_ARGS, _migrate, 202,
           "Admin: move an available volume to another backend (host, or cluster from 3.16); it keeps its id.",
           policy=action_rules.MIGRATE),
    Action("os-migrate_volume_completion", schemas.MIGRATE_COMPLETION_ARGS, _migrate_completion, 200,
           "Admin: Nova's completion of a swapped migration; ember's migrations complete themselves.",
           policy=action_rules.MIGRATE_COMPLETION),
    Action("os-update_readonly_flag", schemas.READONLY_ARGS, _update_readonly, 202,
           "Mark the volume read-only or not (its metadata key readonly).", policy=rules.UPDATE_READONLY),
], name="volume_action", summary="Run one volume action.", casts=True, policy=rules.GET)
