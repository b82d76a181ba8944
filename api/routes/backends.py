"""What the backends report: availability zones, pools (scheduler-stats), services (os-services)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from api import responses
from api import validation as v
from api.actions import zones
from api.errors import BadRequest, ItemNotFound
from api.request import Call, JsonBody
from api.views.common import iso
from db import api as db
from db.records import Pool, Service
from volume.states import ServiceState, ServiceStatus

router = APIRouter(prefix="/v3")


@router.get("/os-availability-zone")
def availability_zones(call: Call) -> Response:
    return responses.json({"availabilityZoneInfo": [{"zoneName": zone, "zoneState": {"available": True}}
                                                    for zone in zones.known(call.settings)]})


@router.get("/scheduler-stats/get_pools")
def pools(call: Call, request: Request) -> Response:
    call.require_admin("scheduler_extension:scheduler_stats:get_pools")
    query = request.query_params
    detail = v.query_bool(query.get("detail"), "detail")
    found = [p for p in db.pool_list() if "name" not in query or p.name == query["name"]]
    return responses.json({"pools": [_pool(p) if detail else {"name": p.name} for p in found]})


def _pool(pool: Pool) -> dict[str, Any]:
    capabilities: dict[str, Any] = {
        "total_capacity_gb": pool.total_capacity_gb,
        "free_capacity_gb": pool.free_capacity_gb,
        "allocated_capacity_gb": pool.allocated_capacity_gb,
        "reserved_percentage": pool.reserved_percentage,
        "max_over_subscription_ratio": pool.max_over_subscription_ratio,
        "thin_provisioning_support": pool.thin_provisioning_support,
        "volume_backend_name": pool.volume_backend_name,
        "storage_protocol": None,
        "timestamp": iso(pool.updated_at),
        **pool.capabilities,
    }
    return {"name": pool.name, "capabilities": capabilities}


@router.get("/os-services")
def services(call: Call, request: Request) -> Response:
    call.require_admin("volume_extension:services:index")
    query = request.query_params
    found = db.service_list(binary=query.get("binary") or None, host=query.get("host") or None)
    now = datetime.now(UTC).replace(tzinfo=None)
    down_after_s = call.settings.service_down_time_s
    return responses.json({"services": [_service(s, now, down_after_s) for s in found]})


def _service(service: Service, now: datetime, down_after_s: int) -> dict[str, Any]:
    alive = (now - service.heartbeat_at).total_seconds() <= down_after_s
    return {"binary": service.binary, "host": service.host, "zone": service.availability_zone,
            "status": _status(service), "state": ServiceState.UP if alive else ServiceState.DOWN,
            "updated_at": iso(service.heartbeat_at), "disabled_reason": service.disabled_reason,
            "cluster": None}


def _status(service: Service) -> ServiceStatus:
    return ServiceStatus.DISABLED if service.disabled else ServiceStatus.ENABLED


@router.put("/os-services/{action}")
def set_service(action: str, call: Call, body: JsonBody) -> Response:
    call.require_admin("volume_extension:services:update")
    if action not in ("enable", "disable", "disable-log-reason"):
        raise ItemNotFound(f"Unknown action: {action}")
    if not isinstance(body, dict):
        raise BadRequest("Malformed request body: expected an object with host and binary.")
    host = v.text(body, "host", required=True)
    binary = v.text(body, "binary", required=True)
    assert host is not None and binary is not None
    reason = v.text(body, "disabled_reason") if action == "disable-log-reason" else None
    service = db.service_set_disabled(host=host, binary=binary, disabled=action != "enable", reason=reason)
    return responses.json({"host": service.host, "binary": service.binary, "disabled": service.disabled,
                           "status": _status(service),
                           "disabled_reason": service.disabled_reason})
