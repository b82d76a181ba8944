"""What the backends report: availability zones, pools (scheduler-stats), services (os-services)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.responses import Response

from api import paging, responses
from api import schema_types as t
from api.actions import services, zones
from api.actions.clusters import CLUSTERED
from api.errors import BadRequest, ItemNotFound
from api.policies import backends as rules
from api.request import ApiCall
from api.spec import Param, Req, Routes
from api.views.common import iso
from common.binaries import binary_of, cinder_name
from common.service_status import ServiceState, ServiceStatus, shown_ha_role
from db import api as db
from db import errors as db_errors
from db.records import Pool, Service

routes = Routes("/v3", tag="backends",
                path_params={"action": t.one_of(services.ACTIONS), "host_name": t.text(min_len=1)})

ZONES = t.obj({"availabilityZoneInfo": t.array(t.obj({"zoneName": t.STRING, "zoneState": t.ANY_OBJECT},
                                                      required=["zoneName", "zoneState"]))},
              required=["availabilityZoneInfo"])
POOLS = t.obj({"pools": t.array(t.obj({"name": t.STRING, "capabilities": t.ANY_OBJECT}, required=["name"]))},
              required=["pools"])
SERVICE = t.obj({
    "binary": t.STRING, "host": t.STRING, "zone": t.STRING, "status": t.one_of(ServiceStatus),
    "state": t.one_of(ServiceState), "updated_at": t.STRING_OR_NULL, "disabled_reason": t.STRING_OR_NULL,
    "frozen": t.BOOL, "cluster": t.STRING_OR_NULL, "node": t.STRING, "ember_binary": t.STRING,
    "ha_role": t.nullable({"type": "string", "enum": ["active", "standby"]}), "ha_epoch": t.nullable(t.INTEGER),
}, required=["binary", "host", "zone", "status", "state", "updated_at", "disabled_reason"])
SERVICES = t.obj({"services": t.array(SERVICE)}, required=["services"])
SERVICE_BODY = t.obj({"host": t.text(min_len=1), "binary": t.text(min_len=1),
                      "disabled_reason": t.nullable(t.text(lines=True))}, required=["host"])
SERVICE_CHANGED = t.obj({"host": t.STRING, "service": t.STRING, "binary": t.STRING, "disabled": t.BOOL,
                         "status": t.STRING,
                         "disabled_reason": t.STRING_OR_NULL, "frozen": t.BOOL}, required=["host"])


# Cinder's extensions that ember serves (name, alias, what it adds), for GET /extensions
EXTENSIONS = (
    ("AdminActions", "os-admin-actions", "Enable admin actions."),
    ("AvailabilityZones", "os-availability-zone", "Describe Availability Zones."),
    ("Capabilities", "capabilities", "Capabilities support."),
    ("ExtendedSnapshotAttributes", "os-extended-snapshot-attributes", "Extended SnapshotAttributes support."),
    ("ExtendedServices", "os-extended-services", "Extended services support."),
    ("Hosts", "os-hosts", "Admin-only host administration."),
    ("Qos_specs_manage", "qos-specs", "QoS specs support."),
    ("QuotaSets", "os-quota-sets", "Quota management support."),
    ("SchedulerStats", "scheduler-stats", "Scheduler stats support."),
    ("Services", "os-services", "Services support."),
    ("TypesExtraSpecs", "os-types-extra-specs", "Type extra specs support."),
    ("TypesManage", "os-types-manage", "Types manage support."),
    ("UsedLimits", "os-used-limits", "Provide data on limited resources that are being used."),
    ("VolumeActions", "os-volume-actions", "Enable volume actions."),
    ("VolumeHostAttribute", "os-vol-host-attr", "Expose host as an attribute of a volume."),
    ("VolumeMigStatusAttribute", "os-vol-mig-status-attr", "Expose migration_status as an attribute of a volume."),
    ("VolumeTypeAccess", "os-volume-type-access", "Volume type access support."),
    ("VolumeTypeEncryption", "encryption", "Encryption support for volume types."),
    ("VolumeTenantAttribute", "os-vol-tenant-attr", "Expose the internal project_id as an attribute of a volume."),
)
_EXTENSIONS_UPDATED = "2012-01-01T00:00:00+00:00"  # Cinder's extensions carry dates of their own; one for all
EXTENSION_LIST = t.obj({"extensions": t.array(t.obj({
    "name": t.STRING, "alias": t.STRING, "description": t.STRING, "updated": t.STRING, "links": t.array(t.ANY_OBJECT),
}, required=["name", "alias", "description", "updated", "links"]))}, required=["extensions"])


@routes.get("/extensions", name="list_extensions", summary="The Cinder API extensions ember serves.",
            response=EXTENSION_LIST, policy=rules.EXTENSIONS)
def extensions(call: ApiCall, req: Req) -> Response:
    return responses.json({"extensions": [
        {"name": name, "alias": alias, "description": description, "updated": _EXTENSIONS_UPDATED, "links": []}
        for name, alias, description in EXTENSIONS]})


@routes.get("/os-availability-zone", name="list_availability_zones", summary="Availability zones.",
            response=ZONES, policy=rules.AVAILABILITY_ZONES)
def availability_zones(call: ApiCall, req: Req) -> Response:
    return responses.json({"availabilityZoneInfo": [{"zoneName": zone, "zoneState": {"available": True}}
                                                    for zone in zones.known(call.settings)]})


@routes.get("/scheduler-stats/get_pools", name="list_pools", summary="Backend pools and their capacity.",
            query=(Param("detail", paging.BOOLEAN_QUERY, "Also show each pool's capabilities."),
                   Param("name", t.text(), "Only the pool of this name.")),
            response=POOLS, policy=rules.GET_POOLS)
def pools(call: ApiCall, req: Req) -> Response:
    query = req.query
    found = [p for p in db.pool_list() if "name" not in query or p.name == query["name"]]
    return responses.json({"pools": [_pool(p) if query.get("detail") else {"name": p.name} for p in found]})


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


CAPABILITIES = t.obj({
    "namespace": t.STRING, "vendor_name": t.STRING, "volume_backend_name": t.STRING, "pool_name": t.STRING_OR_NULL,
    "driver_version": t.STRING, "storage_protocol": t.STRING, "display_name": t.STRING_OR_NULL,
    "description": t.STRING_OR_NULL, "visibility": t.STRING_OR_NULL, "replication_targets": t.array(t.ANY_OBJECT),
    "properties": t.ANY_OBJECT,
}, required=["namespace", "vendor_name", "volume_backend_name", "driver_version", "storage_protocol", "properties"])


@routes.get("/capabilities/{host_name}", name="show_capabilities",
            summary="What a backend (host@backend, or one of its pools host@backend#pool) reports of itself.",
            response=CAPABILITIES, policy=rules.CAPABILITIES)
def capabilities(call: ApiCall, req: Req, host_name: str) -> Response:
    backend = host_name.split("#", 1)[0]
    found = sorted((p for p in db.pool_list() if p.name.split("#", 1)[0] == backend), key=lambda p: p.name)
    if not found:
        raise ItemNotFound(f"Backend {host_name} could not be found.")
    reported = found[0].capabilities
    return responses.json({
        "namespace": f"OS::Storage::Capabilities::{backend}",
        "vendor_name": reported.get("vendor_name") or "",
        "volume_backend_name": found[0].volume_backend_name,
        "pool_name": None,
        "driver_version": str(reported.get("driver_version") or ""),
        "storage_protocol": reported.get("storage_protocol") or "",
        "display_name": None,
        "description": None,
        "visibility": None,
        "replication_targets": [],
        # the capabilities a volume type's extra specs may ask for (Cinder's driver-defined properties)
        "properties": {
            "thin_provisioning": {"title": "Thin Provisioning", "type": "boolean",
                                  "description": "Sets thin provisioning."},
        } if found[0].thin_provisioning_support else {},
    })


CLUSTER_SINCE = 7


@routes.get("/os-services", name="list_services", summary="Every service process and whether it is up.",
            query=(Param("binary", t.text(), "cinder-volume, or ember's own name ember-volume, ..."),
                   Param("host", t.text()),
                   Param("ha", paging.BOOLEAN_QUERY, "(ember) Also each process's node, HA role, epoch and "
                                                     "ember's binary name (ember_binary); Cinder has no such "
                                                     "fields, so they come only when asked.")),
            response=SERVICES, policy=rules.SERVICES_INDEX)
def list_services(call: ApiCall, req: Req) -> Response:
    binary = req.query.get("binary")
    host = req.query.get("host") or None
    # Cinder's host filter: the host itself, or a backend of it (host@backend)
    found = [s for s in db.service_list(binary=binary_of(binary) if binary else None)
             if host is None or s.host == host or s.host.startswith(f"{host}@")]
    now = datetime.now(UTC).replace(tzinfo=None)
    down_after_s = call.settings.service_down_time_s
    epochs = db.backend_epochs([s.host for s in found if s.ha_role is not None])
    rows = []
    for service in found:
        row = _service(service, now, down_after_s)
        if call.since(CLUSTER_SINCE):  # a backend's volume services are one cluster, named for its host
            row["cluster"] = service.host if service.binary in CLUSTERED else None
        if req.query.get("ha"):
            role = shown_ha_role(service.ha_role, service.ha_epoch, epochs.get(service.host))
            row.update(ember_binary=service.binary, node=service.node, ha_role=role,
                       ha_epoch=service.ha_epoch)
        rows.append(row)
    return responses.json({"services": rows})


def _service(service: Service, now: datetime, down_after_s: int) -> dict[str, Any]:
    alive = (now - service.heartbeat_at).total_seconds() <= down_after_s
    return {"binary": cinder_name(service.binary), "host": service.host, "zone": service.availability_zone,
            "status": _status(service), "state": ServiceState.UP if alive else ServiceState.DOWN,
            "updated_at": iso(service.heartbeat_at), "disabled_reason": service.disabled_reason,
            "frozen": service.frozen}



def _status(service: Service) -> ServiceStatus:
    return ServiceStatus.DISABLED if service.disabled else ServiceStatus.ENABLED


@routes.put("/os-services/{action}", name="update_service",
            summary="enable, disable, disable-log-reason (host and binary), freeze or thaw (host) a service.",
            body=SERVICE_BODY, response=SERVICE_CHANGED, policy=rules.SERVICES_UPDATE)
def set_service(call: ApiCall, req: Req, action: str) -> Response:
    body = req.body
    binary = body.get("binary")
    if action in services.NEED_BINARY and not binary:
        raise BadRequest(f"Invalid input: {action} needs both host and binary.")
    if action == "disable-log-reason" and not (body.get("disabled_reason") or "").strip():
        raise BadRequest("Invalid input received: disable-log-reason needs a disabled_reason.")
    try:
        changed = services.apply(action, host=body["host"], binary=binary, reason=body.get("disabled_reason"))
    except db_errors.NotFound as error:
        if action in services.NEED_BINARY:
            raise
        # Cinder answers a freeze or thaw of a host it does not know with a 400, not a 404
        raise BadRequest(f"Invalid input received: {error}") from error
    if action in services.NEED_BINARY:  # Cinder's answer: the service's new state, no frozen flag
        answer: dict[str, Any] = {"host": changed.host, "service": cinder_name(changed.binary),
                                  "binary": cinder_name(changed.binary),
                                  "disabled": changed.disabled, "status": _status(changed)}
        if action != "disable":
            answer["disabled_reason"] = changed.disabled_reason
        return responses.json(answer)
    return responses.json({"host": changed.host, "frozen": changed.frozen})
