"""What the deployment offers: ember availability-zone list, service list and pool list."""

from __future__ import annotations

import argparse

from client.commands.common import table
from client.http import Session


def availability_zone_list(session: Session, args: argparse.Namespace) -> None:
    zones = session.get("/os-availability-zone").get("availabilityZoneInfo", [])
    rows = [[z.get("zoneName"), "available" if (z.get("zoneState") or {}).get("available") else "not available"]
            for z in zones]
    table(args, zones, ["Zone Name", "Zone Status"], rows)


def service_list(session: Session, args: argparse.Namespace) -> None:
    """One row per service process: a backend's active and standby volume services differ by node."""
    services = session.get("/os-services", params={"ha": "true"}).get("services", [])
    headers = ["Binary", "Host", "Node", "Zone", "Status", "State", "Frozen", "HA Role", "Epoch", "Updated At"]
    fields = ["ember_binary", "host", "node", "zone", "status", "state", "frozen", "ha_role", "ha_epoch", "updated_at"]
    if args.long:
        headers.append("Disabled Reason")
        fields.append("disabled_reason")
    table(args, services, headers, ([s.get(f) for f in fields] for s in services))


def pool_list(session: Session, args: argparse.Namespace) -> None:
    pools = session.get("/scheduler-stats/get_pools", params={"detail": "true"}).get("pools", [])
    rows = []
    for pool in pools:
        caps = pool.get("capabilities") or {}
        rows.append([pool.get("name"), caps.get("volume_backend_name"), caps.get("storage_protocol"),
                     caps.get("total_capacity_gb"), caps.get("free_capacity_gb"),
                     caps.get("allocated_capacity_gb")])
    table(args, pools, ["Name", "Backend", "Protocol", "Total GB", "Free GB", "Allocated GB"], rows)
