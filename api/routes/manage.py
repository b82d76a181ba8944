"""Manage and the manageable lists: /v3/os-volume-manage and /v3/os-snapshot-manage (every version),
/v3/manageable_volumes and /v3/manageable_snapshots (3.8 on). Admins only; unmanage is an action of the
volume or snapshot (``os-unmanage``)."""

from __future__ import annotations

from collections.abc import Callable

from starlette.responses import Response

from api import responses, schemas
from api import schema_types as t
from api.actions import manage as actions
from api.paging import sort_pattern
from api.policies import manageable as rules
from api.request import ApiCall
from api.spec import Param, Req, Routes
from api.views import manageable as views
from api.views import snapshots as snapshot_views
from api.views import volumes as volume_views
from volume.manage import SNAPSHOTS, VOLUMES

legacy_volumes = Routes("/v3/os-volume-manage", tag="manage")
volumes = Routes("/v3/manageable_volumes", tag="manage")
legacy_snapshots = Routes("/v3/os-snapshot-manage", tag="manage")
snapshots = Routes("/v3/manageable_snapshots", tag="manage")

_KEYS = ("reference", "size")
LIST_PARAMS = (
    Param("host", t.text(min_len=1), "The backend (host@backend, or host@backend#pool) whose storage is listed."),
    Param("cluster", t.text(min_len=1), "The same, by the backend's cluster name."),
    Param("limit", {"type": "integer", "minimum": 0, "maximum": t.MAX_INT}, "Most items to return."),
    Param("marker", t.text(1024), "The source-name of the last item of the previous page."),
    Param("offset", {"type": "integer", "minimum": 0, "maximum": t.MAX_INT}, "Items to skip."),
    Param("sort", {"type": "string", "maxLength": 256, "pattern": sort_pattern(_KEYS)},
          "reference|size[:asc|desc], comma-separated; the default is reference:desc."),
    Param("sort_key", {"type": "string", "maxLength": 256, "pattern": "^(reference|size)(,(reference|size))*$"},
          "Deprecated: use sort."),
    Param("sort_dir", {"type": "string", "maxLength": 64, "pattern": "^(asc|desc)(,(asc|desc))*$"},
          "Deprecated: use sort."),
)


def manage_volume(call: ApiCall, req: Req) -> Response:
    volume = actions.manage_volume(call, req.body["volume"])
    return responses.json({"volume": volume_views.detail(call, volume, extended=False)}, 202)


def manage_snapshot(call: ApiCall, req: Req) -> Response:
    snapshot = actions.manage_snapshot(call, req.body["snapshot"])
    return responses.json({"snapshot": snapshot_views.detail(call, snapshot, extended=False)}, 202)


def _lister(kind: str, *, detail: bool) -> Callable[[ApiCall, Req], Response]:
    def handler(call: ApiCall, req: Req) -> Response:
        entries = actions.manageable(call, kind, req.query)
        shown = [views.shown(e, detail=detail, snapshot=kind == SNAPSHOTS) for e in entries]
        return responses.json({views.KEYS[kind]: shown})

    return handler


legacy_volumes.post("", name="manage_volume_legacy", summary="Manage data already on a backend (an LV, a file) "
                    "as a new volume.", success=202, body=schemas.VOLUME_MANAGE, response=volume_views.ONE,
                    casts=True, calls_service=True, policy=rules.VOLUME_MANAGE)(manage_volume)
volumes.post("", name="manage_volume", summary="Manage data already on a backend (an LV, a file) as a new volume.",
             success=202, body=schemas.VOLUME_MANAGE, response=volume_views.ONE, since=actions.SINCE, casts=True,
             calls_service=True, policy=rules.VOLUME_MANAGE)(manage_volume)
volumes.get("", name="list_manageable_volumes", summary="What a backend holds that could become a volume.",
            query=LIST_PARAMS, response=views.listing(VOLUMES, views.VOLUME_SUMMARY), since=actions.SINCE,
            calls_service=True, policy=rules.VOLUME_LIST_MANAGEABLE)(_lister(VOLUMES, detail=False))
volumes.get("/detail", name="list_manageable_volumes_detail", summary="The same, with why an item is not safe "
            "to manage and the volume it already is.", query=LIST_PARAMS,
            response=views.listing(VOLUMES, views.VOLUME_DETAIL), since=actions.SINCE, calls_service=True,
            policy=rules.VOLUME_LIST_MANAGEABLE)(_lister(VOLUMES, detail=True))

legacy_snapshots.post("", name="manage_snapshot_legacy", summary="Manage a snapshot already on a backend for one "
                      "of its volumes.", success=202, body=schemas.SNAPSHOT_MANAGE, response=snapshot_views.ONE,
                      casts=True, calls_service=True, policy=rules.SNAPSHOT_MANAGE)(manage_snapshot)
snapshots.post("", name="manage_snapshot", summary="Manage a snapshot already on a backend for one of its volumes.",
               success=202, body=schemas.SNAPSHOT_MANAGE, response=snapshot_views.ONE, since=actions.SINCE,
               casts=True, calls_service=True, policy=rules.SNAPSHOT_MANAGE)(manage_snapshot)
snapshots.get("", name="list_manageable_snapshots", summary="What a backend holds that could become a snapshot.",
              query=LIST_PARAMS, response=views.listing(SNAPSHOTS, views.SNAPSHOT_SUMMARY), since=actions.SINCE,
              calls_service=True, policy=rules.SNAPSHOT_LIST_MANAGEABLE)(_lister(SNAPSHOTS, detail=False))
snapshots.get("/detail", name="list_manageable_snapshots_detail", summary="The same, with why an item is not "
              "safe to manage and the snapshot it already is.", query=LIST_PARAMS,
              response=views.listing(SNAPSHOTS, views.SNAPSHOT_DETAIL), since=actions.SINCE, calls_service=True,
              policy=rules.SNAPSHOT_LIST_MANAGEABLE)(_lister(SNAPSHOTS, detail=True))

ALL = [*legacy_volumes.specs, *volumes.specs, *legacy_snapshots.specs, *snapshots.specs]
