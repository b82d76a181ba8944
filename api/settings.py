"""The options the api reads on every request, copied once from the config at app creation."""

from __future__ import annotations

from dataclasses import dataclass

from oslo_config import cfg


@dataclass(frozen=True)
class Settings:
    admin_projects: frozenset[str]
    max_limit: int
    default_volume_type: str
    storage_availability_zone: str
    default_availability_zone: str
    service_down_time_s: int
    max_body_bytes: int
    quota_defaults: dict[str, int]  # the limits of a project that has none of its own
    attachment_call_timeout_s: int = 20
    idempotency_key_ttl_s: int = 86400

    @classmethod
    def from_conf(cls, conf: cfg.ConfigOpts) -> Settings:
        return cls(
            admin_projects=frozenset(conf.noauth_admin_projects or ()),
            max_limit=conf.osapi_max_limit,
            default_volume_type=conf.default_volume_type,
            storage_availability_zone=conf.storage_availability_zone,
            default_availability_zone=conf.default_availability_zone or conf.storage_availability_zone,
            service_down_time_s=conf.service_down_time,
            max_body_bytes=conf.oslo_middleware.max_request_body_size,
            quota_defaults={"volumes": conf.quota_volumes, "snapshots": conf.quota_snapshots,
                            "gigabytes": conf.quota_gigabytes, "backups": conf.quota_backups,
                            "backup_gigabytes": conf.quota_backup_gigabytes},
            attachment_call_timeout_s=conf.attachment_call_timeout_s,
            idempotency_key_ttl_s=conf.database.idempotency_key_ttl_s,
        )
