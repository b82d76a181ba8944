"""What the deployment offers: ember availability-zone list, service list, pool list and cluster
list/show/enable/disable."""

from __future__ import annotations

import argparse

from client.commands.common import confirm, show, table
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


def cluster_list(session: Session, args: argparse.Namespace) -> None:
    """One row per cluster (a backend's volume services), with its active node."""
    clusters = session.get("/clusters/detail", params={"ha": "true"}).get("clusters", [])
    headers = ["Name", "Binary", "State", "Status", "Hosts", "Down", "Active", "Last Heartbeat"]
    fields = ["name", "binary", "state", "status", "num_hosts", "num_down_hosts", "active", "last_heartbeat"]
    if args.long:
        headers.append("Disabled Reason")
        fields.append("disabled_reason")
    table(args, clusters, headers, ([c.get(f) for f in fields] for c in clusters))


def cluster_show(session: Session, args: argparse.Namespace) -> None:
    cluster = session.get(f"/clusters/{args.name}", params={"ha": "true"}).get("cluster", {})
    if args.json:
        show(args, cluster)
        return
    members = cluster.pop("services", [])
    cluster["services"] = ", ".join(f"{m.get('node')} ({m.get('ha_role') or '-'}, {m.get('state')})" for m in members)
    show(args, cluster)


def cluster_enable(session: Session, args: argparse.Namespace) -> None:
    session.put("/clusters/enable", {"name": args.name, "binary": "cinder-volume"})
    confirm(args, f"Cluster {args.name} enabled: the scheduler places new volumes on it again.")


def cluster_disable(session: Session, args: argparse.Namespace) -> None:
    body = {"name": args.name, "binary": "cinder-volume"}
    if args.reason:
        body["disabled_reason"] = args.reason
    session.put("/clusters/disable", body)
    confirm(args, f"Cluster {args.name} disabled: the scheduler places no new volume on it.")
