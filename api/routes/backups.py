"""/v3/backups: create, list, show, update (3.9), delete, restore, export/import a record, admin actions."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from starlette.responses import Response

from api import listing, paging, responses, schemas
from api import schema_types as t
from api.actions import backups as actions
from api.policies import backups as rules
from api.request import ApiCall
from api.spec import Action, Param, Req, Routes
from api.views import backups as views
from db import api as db
from db.records import Backup
from volume.states.backups import BACKUP_RESETTABLE

routes = Routes("/v3/backups", tag="backups", path_params={"backup_id": t.ID})

SORT_KEYS = {"id": "id", "name": "name", "display_name": "name", "status": "status", "size": "size_gb",
             "created_at": "created_at", "updated_at": "updated_at", "volume_id": "volume_id",
             "project_id": "project_id", "availability_zone": "availability_zone"}
FILTER_PARAMS = (
    Param("name", t.text(), "Only backups with exactly this name."),
    Param("display_name", t.text(), "The same as name."),
    Param("status", t.text(), "Only backups in this status."),
    Param("volume_id", t.ID, "Only backups of this volume."),
    Param("availability_zone", t.text(), "Only backups in this availability zone."),
)
PROGRESS_PARAM = Param("progress", paging.BOOLEAN_QUERY, "(ember) Also each backup's progress, percent done while it "
                       "runs; Cinder has no such field, so it comes only when asked.")
LIST_PARAMS = (*paging.params(SORT_KEYS), paging.COUNT_PARAM, *paging.PROJECT_PARAMS, *FILTER_PARAMS, PROGRESS_PARAM)
SHOW_LINKS = {"show_backup": {"backup_id": "$response.body#/backup/id"},
              "delete_backup": {"backup_id": "$response.body#/backup/id"}}

BACKUP_CREATE = t.obj({"backup": t.obj({
    "volume_id": t.ID, "container": t.nullable(t.text()), "name": t.NAME, "description": t.DESCRIPTION,
    "display_name": t.NAME, "display_description": t.DESCRIPTION, "incremental": t.nullable(t.BOOLEAN),
    "force": t.nullable(t.BOOLEAN), "snapshot_id": t.ID_OR_NULL, "metadata": t.nullable(t.METADATA),
    "availability_zone": t.nullable(t.text())}, required=["volume_id"], extra=False)}, required=["backup"])
BACKUP_UPDATE = t.obj({"backup": t.obj({"name": t.NAME, "description": t.DESCRIPTION, "display_name": t.NAME,
                                        "display_description": t.DESCRIPTION, "metadata": t.METADATA},
                                       extra=False)}, required=["backup"])
RESTORE = t.obj({"restore": t.nullable(t.obj({"volume_id": t.ID_OR_NULL, "name": t.NAME}, extra=False))},
                required=["restore"])
RESTORED = t.obj({"restore": t.obj({"backup_id": t.STRING, "volume_id": t.STRING, "volume_name": t.STRING_OR_NULL},
                                   required=["backup_id", "volume_id"])}, required=["restore"])
RECORD = t.obj({"backup_service": t.text(), "backup_url": t.text(1024 * 1024)},
               required=["backup_service", "backup_url"], extra=False)
IMPORT = t.obj({"backup-record": RECORD}, required=["backup-record"])
EXPORTED = t.obj({"backup-record": RECORD}, required=["backup-record"])
RESET_ARGS = t.obj({"status": t.one_of(BACKUP_RESETTABLE)}, required=["status"], extra=False)


def parse_create(body: dict[str, Any]) -> actions.BackupCreate:
    backup: dict[str, Any] = body["backup"]
    return actions.BackupCreate(
        volume_id=backup["volume_id"], name=backup.get("name") or backup.get("display_name"),
        description=backup.get("description") or backup.get("display_description"),
        container=backup.get("container"), incremental=t.truthy(backup.get("incremental") or False),
        force=t.truthy(backup.get("force") or False), snapshot_id=backup.get("snapshot_id") or None,
        metadata=dict(backup.get("metadata") or {}), availability_zone=backup.get("availability_zone"))


@routes.post("", name="create_backup", summary="Back a volume up (full, or incremental on its newest backup).",
             success=202, body=BACKUP_CREATE, response=views.CREATED, links=SHOW_LINKS, policy=rules.CREATE)
def create(call: ApiCall, req: Req) -> Response:
    backup = actions.create(call, parse_create(req.body))
    return responses.json({"backup": views.summary(call, backup)}, 202)


@routes.get("", name="list_backups", summary="List backups.", query=LIST_PARAMS,
            response=views.listing(views.SUMMARY), policy=rules.GET_ALL)
def index(call: ApiCall, req: Req) -> Response:
    return _list(call, req, views.summary, "/backups")


@routes.get("/detail", name="list_backups_detail", summary="List backups with every field.",
            query=LIST_PARAMS, response=views.listing(views.DETAIL), policy=rules.GET_ALL)
def detail(call: ApiCall, req: Req) -> Response:
    progress = bool(req.query.get("progress"))
    return _list(call, req, lambda c, b: views.detail(c, b, children=actions.children(b), progress=progress),
                 "/backups/detail")


def _list(call: ApiCall, req: Req, view: Callable[[ApiCall, Backup], dict[str, Any]], path: str) -> Response:
    return listing.page(call, req, key="backups", path=path, sort_keys=SORT_KEYS, filters=_filters,
                        fetch=db.backup_list, count=db.backup_count, view=view)


def _filters(query: Mapping[str, Any]) -> dict[str, Any]:
    filters = {key: query[key] for key in ("name", "status", "volume_id", "availability_zone") if key in query}
    if "display_name" in query:
        filters["name"] = query["display_name"]
    return filters


@routes.post("/import_record", name="import_backup_record", summary="Admin: import an exported backup record.",
             success=201, body=IMPORT, response=views.CREATED, policy=rules.IMPORT)
def import_record(call: ApiCall, req: Req) -> Response:
    record = req.body["backup-record"]
    backup = actions.import_record(call, backup_service=record["backup_service"], backup_url=record["backup_url"])
    return responses.json({"backup": views.summary(call, backup)}, 201)


@routes.get("/{backup_id}", name="show_backup", summary="Show a backup (its progress with ?progress=true).",
            query=(PROGRESS_PARAM,), response=views.ONE, policy=rules.GET)
def show(call: ApiCall, req: Req, backup_id: str) -> Response:
    backup = actions.get(call, backup_id)
    return responses.json({"backup": views.detail(call, backup, children=actions.children(backup),
                                                  progress=bool(req.query.get("progress")))})


@routes.put("/{backup_id}", name="update_backup", summary="Change a backup's name, description or metadata.",
            body=BACKUP_UPDATE, response=views.UPDATED, policy=rules.UPDATE, since=9)
def update(call: ApiCall, req: Req, backup_id: str) -> Response:
    values = schemas.described_values(req.body["backup"], "backup", strict=True)
    backup = actions.update(call, backup_id, values=values)
    return responses.json({"backup": views.updated(call, backup)})


@routes.delete("/{backup_id}", name="delete_backup", summary="Delete a backup (refused while incrementals "
               "depend on it).", success=202, policy=rules.DELETE)
def delete(call: ApiCall, req: Req, backup_id: str) -> Response:
    actions.delete(call, backup_id)
    return responses.accepted()


@routes.post("/{backup_id}/restore", name="restore_backup", summary="Restore a backup into a new or an "
             "existing volume.", success=202, body=RESTORE, response=RESTORED, policy=rules.RESTORE)
def restore(call: ApiCall, req: Req, backup_id: str) -> Response:
    args = req.body.get("restore") or {}
    backup, volume = actions.restore(call, backup_id, volume_id=args.get("volume_id") or None, name=args.get("name"))
    return responses.json({"restore": {"backup_id": backup.id, "volume_id": volume.id,
                                       "volume_name": volume.name}}, 202)


@routes.get("/{backup_id}/export_record", name="export_backup_record",
            summary="Admin: the record that imports this backup elsewhere.", response=EXPORTED, policy=rules.EXPORT)
def export_record(call: ApiCall, req: Req, backup_id: str) -> Response:
    return responses.json({"backup-record": actions.export_record(call, backup_id)})


def _reset_status(call: ApiCall, args: dict[str, Any], backup_id: str) -> Response:
    actions.reset_status(call, backup_id, status=args["status"])
    return responses.accepted()


def _force_delete(call: ApiCall, args: dict[str, Any], backup_id: str) -> Response:
    actions.force_delete(call, backup_id)
    return responses.accepted()


routes.actions("/{backup_id}/action", [
    Action("os-reset_status", RESET_ARGS, _reset_status, 202,
           "Admin: set the status; refused while a live backup service works on the backup.",
           policy=rules.RESET_STATUS),
    Action("os-force_delete", schemas.NO_ARGS, _force_delete, 202,
           "Admin: delete whatever the status; refused while a live backup service works on the backup.",
           policy=rules.FORCE_DELETE),
], name="backup_action", summary="Run one backup admin action.", policy=rules.GET)
