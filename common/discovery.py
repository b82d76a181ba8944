"""Service registration and health for every ember service: the Consul catalog, or nothing more.

With ``[coordination] backend_url = consul://...`` each service (api, scheduler, volume,
backup) registers itself in the local agent's catalog with a TTL health check it passes at
every heartbeat, tags and meta that say its binary, backend, zone and HA role, and goes away
on a clean stop. With etcd or the SQL DB the services table holds the same facts (os-services).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServiceRecord:
    binary: str
    host: str
    node: str
    zone: str
    backend: str | None = None

    @property
    def service_id(self) -> str:
        return f"{self.binary}:{self.node}:{self.host}"


class Registry(Protocol):
    def register(self, service: ServiceRecord, *, role: str | None = None) -> None: ...

    def passing(self, service: ServiceRecord, *, role: str | None = None) -> None: ...

    def deregister(self, service: ServiceRecord) -> None: ...


class NoRegistry:
    """etcd and SQL coordination: the services table is the registry."""

    def register(self, service: ServiceRecord, *, role: str | None = None) -> None:
        pass

    def passing(self, service: ServiceRecord, *, role: str | None = None) -> None:
        pass

    def deregister(self, service: ServiceRecord) -> None:
        pass


class ConsulRegistry:
    def __init__(self, url: str, *, check_ttl_s: float) -> None:
        import consul

        parts = urlsplit(url)
        self._consul = consul.Consul(host=parts.hostname or "127.0.0.1", port=parts.port or 8500,
                                     connections_timeout=5)
        self._check_ttl = f"{math.ceil(check_ttl_s)}s"
        self._roles: dict[str, str | None] = {}

    def register(self, service: ServiceRecord, *, role: str | None = None) -> None:
        import consul

        tags = [service.binary, f"zone:{service.zone}"] + ([f"backend:{service.backend}"] if service.backend else [])
        tags += [f"role:{role}"] if role else []
        meta = {"binary": service.binary, "host": service.host, "node": service.node, "zone": service.zone,
                "backend": service.backend or "", "ha_role": role or ""}
        self._consul.agent.service.register(service.binary, service_id=service.service_id, tags=tags, meta=meta,
                                            check=consul.Check.ttl(self._check_ttl))
        self._roles[service.service_id] = role

    def passing(self, service: ServiceRecord, *, role: str | None = None) -> None:
        try:
            if self._roles.get(service.service_id, "-") != role:  # first beat, or the HA role changed
                self.register(service, role=role)
            self._consul.agent.check.ttl_pass(f"service:{service.service_id}")
        except Exception as error:  # noqa: BLE001 - a registry that is away must not stop the service
            log.warning("Consul registration of %s failed: %s", service.service_id, error)
            self._roles.pop(service.service_id, None)

    def deregister(self, service: ServiceRecord) -> None:
        try:
            self._consul.agent.service.deregister(service.service_id)
        except Exception as error:  # noqa: BLE001 - as above
            log.warning("Consul deregistration of %s failed: %s", service.service_id, error)


def connect(backend_url: str, *, check_ttl_s: float) -> Registry:
    if backend_url.startswith("consul://"):
        return ConsulRegistry(backend_url, check_ttl_s=check_ttl_s)
    return NoRegistry()
