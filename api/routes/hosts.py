"""/v3/os-hosts (Cinder's hosts extension, admin only): the hosts of the service processes, and for a volume
host what each project keeps on it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.responses import Response

from api import responses
from api import schema_types as t
from api.errors import ItemNotFound
from api.policies import backends as rules
from api.request import ApiCall
from api.spec import Req, Routes
from api.views.common import iso
from common import binaries
from db import api as db
from db.records import Service

routes = Routes("/v3/os-hosts", tag="backends", path_params={"host_name": t.text(min_len=1)})

HOSTS = t.obj({"hosts": t.array(t.obj({
    "host_name": t.STRING, "service": t.STRING, "zone": t.STRING, "service-status": t.STRING,
    "service-state": t.STRING, "last-update": t.STRING_OR_NULL,
}, required=["host_name", "service", "zone", "service-status", "service-state", "last-update"]))}, required=["hosts"])
RESOURCE = t.obj({"volume_count": t.STRING, "total_volume_gb": t.STRING, "snapshot_count": t.STRING,
                  "total_snapshot_gb": t.STRING, "project": t.STRING, "host": t.STRING})
HOST = t.obj({"host": t.array(t.obj({"resource": RESOURCE}, required=["resource"]))}, required=["host"])


@routes.get("", name="list_hosts", summary="Each host and the service it runs (Cinder's binary names).",
            response=HOSTS, policy=rules.HOSTS)
def list_hosts(call: ApiCall, req: Req) -> Response:
    now = datetime.now(UTC).replace(tzinfo=None)
    newest: dict[tuple[str, str], Service] = {}
    for service in db.service_list():  # a backend's active and standby processes share one host
        key = (service.host, service.binary)
        if key not in newest or service.heartbeat_at > newest[key].heartbeat_at:
            newest[key] = service
    rows: list[dict[str, Any]] = []
    for (host, binary), service in sorted(newest.items()):
        alive = (now - service.heartbeat_at).total_seconds() <= call.settings.service_down_time_s
        rows.append({"host_name": host, "service": binaries.cinder_name(binary), "zone": service.availability_zone,
                     "service-status": "available" if alive else "unavailable",
                     "service-state": "disabled" if service.disabled else "enabled",
                     "last-update": iso(service.heartbeat_at)})
    return responses.json({"hosts": rows})


@routes.get("/{host_name}", name="show_host", summary="What each project keeps on a volume host (host@backend).",
            response=HOST, policy=rules.HOSTS)
def show_host(call: ApiCall, req: Req, host_name: str) -> Response:
    if not any(s.binary == binaries.VOLUME and not s.disabled for s in db.service_list(host=host_name)):
        raise ItemNotFound(f"Host {host_name} could not be found.")
    volumes = [v for v in db.volume_list(project_id=None) if v.backend_host == host_name]
    on_host = {v.id for v in volumes}
    snapshots = [s for s in db.snapshot_list(project_id=None) if s.volume_id in on_host]
    projects = sorted({v.project_id for v in volumes})

    def resource(project: str, owned: Any) -> dict[str, Any]:
        mine_v = [v for v in volumes if owned(v.project_id)]
        mine_s = [s for s in snapshots if owned(s.project_id)]
        return {"resource": {"host": host_name, "project": project, "volume_count": str(len(mine_v)),
                             "total_volume_gb": str(sum(v.size_gb for v in mine_v)),
                             "snapshot_count": str(len(mine_s)),
                             "total_snapshot_gb": str(sum(s.size_gb for s in mine_s))}}

    rows = [resource("(total)", lambda _: True)]
    rows += [resource(project, lambda p, wanted=project: p == wanted) for project in projects]
    return responses.json({"host": rows})
