"""/v3/resource_filters (3.33): the filter keys each list route takes, read from the route table itself, so
the answer is what the lists really accept."""

from __future__ import annotations

from starlette.responses import Response

from api import responses
from api import schema_types as t
from api.policies import backends as rules
from api.request import ApiCall
from api.routes import attachments, backends, backups, clusters, messages, snapshots, types, volumes
from api.spec import Param, Req, Routes, RouteSpec

SINCE = 33
routes = Routes("/v3", tag="resource-filters")

# resource (Cinder's names) -> the list route whose query it reads
LISTS = {"volume": (volumes, "list_volumes_detail"), "snapshot": (snapshots, "list_snapshots_detail"),
         "backup": (backups, "list_backups_detail"), "attachment": (attachments, "list_attachments_detail"),
         "message": (messages, "list_messages"), "pool": (backends, "list_pools"),
         "volume_type": (types, "list_types"), "cluster": (clusters, "list_clusters_detail")}
# what a list takes that narrows nothing: paging, sorting, scope, count, view switches
NOT_FILTERS = frozenset({"limit", "marker", "offset", "sort", "sort_key", "sort_dir", "with_count", "all_tenants",
                         "project_id", "detail", "ha"})
FILTERS = t.obj({"resource_filters": t.array(t.obj({"resource": t.STRING, "filters": t.array(t.STRING)},
                                                  required=["resource", "filters"]))}, required=["resource_filters"])


def filters_of(resource: str) -> list[str]:
    module, name = LISTS[resource]
    spec: RouteSpec = next(s for s in module.routes.specs if s.name == name)
    return sorted(p.name for p in spec.query if p.name not in NOT_FILTERS)


@routes.get("/resource_filters", name="list_resource_filters", summary="The filter keys each list accepts.",
            query=(Param("resource", t.text(), "Only this resource's (volume, snapshot, backup, ...)."),),
            response=FILTERS, since=SINCE, policy=rules.RESOURCE_FILTERS)
def index(call: ApiCall, req: Req) -> Response:
    wanted = req.query.get("resource")
    shown = [r for r in LISTS if wanted is None or r == wanted]  # an unknown resource: none, as Cinder
    return responses.json({"resource_filters": [{"resource": r, "filters": filters_of(r)} for r in shown]})
