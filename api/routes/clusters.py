"""/v3/clusters (3.7): each backend's volume services as one cluster, listed, shown, enabled and disabled."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.responses import Response

from api import paging, responses
from api import schema_types as t
from api.actions import clusters as actions
from api.errors import BadRequest
from api.policies import clusters as rules
from api.request import ApiCall
from api.spec import Param, Req, Routes
from api.views.common import iso

SINCE = 7
REPLICATION_SINCE = 26  # replication_status, frozen, active_backend_id
routes = Routes("/v3/clusters", tag="clusters", path_params={"cluster_name": t.text(min_len=1),
                                                             "action": t.one_of(("enable", "disable"))})

HA_QUERY = Param("ha", paging.BOOLEAN_QUERY, "(ember) Also each member process: node, state, HA role and "
                                            "epoch, and the active node; Cinder has no such fields.")
LIST_QUERY = (Param("name", t.text()), Param("binary", t.text()), Param("is_up", paging.BOOLEAN_QUERY),
              Param("disabled", paging.BOOLEAN_QUERY), Param("num_hosts", t.INTEGER),
              Param("num_down_hosts", t.INTEGER), HA_QUERY)
_CLUSTER = t.obj({"name": t.NAME, "binary": t.NAME, "state": t.one_of(("up", "down")),
                  "status": t.one_of(("enabled", "disabled"))}, required=["name", "binary", "state", "status"])
UPDATE_BODY = t.obj({"name": t.text(min_len=1), "binary": t.text(), "disabled_reason": t.nullable(t.text(max_len=255))},
                    required=["name"], extra=False)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _view(call: ApiCall, cluster: actions.Cluster, *, detail: bool, ha: bool = False) -> dict[str, Any]:
    row: dict[str, Any] = {"name": cluster.name, "binary": cluster.binary, "state": "up" if cluster.up else "down",
                           "status": "disabled" if cluster.disabled else "enabled"}
    if call.since(REPLICATION_SINCE):
        row.update(replication_status="not-capable", frozen=cluster.frozen, active_backend_id=None)
    if detail:
        row.update(num_hosts=len(cluster.members), num_down_hosts=cluster.num_down_hosts,
                   last_heartbeat=iso(cluster.last_heartbeat), created_at=iso(cluster.created_at),
                   updated_at=None, disabled_reason=cluster.disabled_reason)
    if ha:
        row.update(active=cluster.active, services=[
            {"node": m.node, "state": "up" if m.up else "down", "ha_role": m.ha_role, "ha_epoch": m.ha_epoch}
            for m in cluster.members])
    return row


def _listing(call: ApiCall, req: Req, *, detail: bool) -> Response:
    unknown = sorted(k for k in req.raw_query if k not in req.declared)
    if unknown:  # Cinder takes only its cluster filters here, at any version
        raise BadRequest(f"Invalid input received: Invalid filter keys: {', '.join(unknown)}")
    q = req.query
    found = actions.clusters(now=_now(), down_after_s=call.settings.service_down_time_s, binary=q.get("binary"),
                             name=q.get("name"))
    checks = [("is_up", lambda c: c.up), ("disabled", lambda c: c.disabled),
              ("num_hosts", lambda c: len(c.members)), ("num_down_hosts", lambda c: c.num_down_hosts)]
    for key, value_of in checks:
        if key in q:
            found = [c for c in found if value_of(c) == q[key]]
    return responses.json({"clusters": [_view(call, c, detail=detail, ha=bool(q.get("ha"))) for c in found]})


@routes.get("", name="list_clusters", summary="Clusters: each backend's volume services.", query=LIST_QUERY,
            response=t.obj({"clusters": t.array(_CLUSTER)}, required=["clusters"]), since=SINCE,
            policy=rules.GET_ALL)
def index(call: ApiCall, req: Req) -> Response:
    return _listing(call, req, detail=False)


@routes.get("/detail", name="list_clusters_detail", summary="Clusters, with their hosts and heartbeats.",
            query=LIST_QUERY, response=t.obj({"clusters": t.array(_CLUSTER)}, required=["clusters"]), since=SINCE,
            policy=rules.GET_ALL)
def detail(call: ApiCall, req: Req) -> Response:
    return _listing(call, req, detail=True)


@routes.get("/{cluster_name}", name="show_cluster", summary="One cluster, by name (host@backend).",
            query=(Param("binary", t.text(), "cinder-volume (the default) or ember-volume."), HA_QUERY),
            response=t.obj({"cluster": _CLUSTER}, required=["cluster"]), since=SINCE, policy=rules.GET)
def show(call: ApiCall, req: Req, cluster_name: str) -> Response:
    cluster = actions.get(cluster_name, req.query.get("binary"), now=_now(),
                          down_after_s=call.settings.service_down_time_s)
    return responses.json({"cluster": _view(call, cluster, detail=True, ha=bool(req.query.get("ha")))})


@routes.put("/{action}", name="update_cluster", summary="Enable or disable scheduling on a cluster.",
            body=UPDATE_BODY, response=t.obj({"cluster": _CLUSTER}, required=["cluster"]), since=SINCE,
            policy=rules.UPDATE)
def update(call: ApiCall, req: Req, action: str) -> Response:
    body = req.body
    disabled = action == "disable"
    reason = (body.get("disabled_reason") or "").strip() or None
    if not disabled and reason:
        raise BadRequest("Invalid input received: Unexpected 'disabled_reason' found on enable request.")
    actions.set_disabled(body["name"], body.get("binary"), disabled=disabled, reason=reason)
    cluster = actions.get(body["name"], body.get("binary"), now=_now(), down_after_s=call.settings.service_down_time_s)
    row = _view(call, cluster, detail=False)
    row["disabled_reason"] = reason
    return responses.json({"cluster": row})
