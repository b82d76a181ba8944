"""The options the api reads on every request, copied once from the config at app creation."""

from __future__ import annotations

from dataclasses import dataclass

from oslo_config import cfg


@dataclass(frozen=True)
class Settings:
    max_limit: int
    default_volume_type: str
    storage_availability_zone: str
    default_availability_zone: str
    service_down_time_s: int
    max_body_bytes: int
    quota_defaults: dict[str, int]  # the limits of a project that has none of its own
    attachment_call_timeout_s: int = 20
    max_metadata_items: int = 64
    proxy_headers: bool = False  # links follow the Forwarded / X-Forwarded-* headers of a trusted proxy
    attachment_unfinished_after_s: int = 3600
    idempotency_key_ttl_s: int = 86400

    @classmethod
    def from_conf(cls, conf: cfg.ConfigOpts) -> Settings:
        return cls(
            max_limit=conf.osapi_max_limit,
            default_volume_type=conf.default_volume_type,
            storage_availability_zone=conf.storage_availability_zone,
            default_availability_zone=conf.default_availability_zone or conf.storage_availability_zone,
            service_down_time_s=conf.service_down_time,
            max_body_bytes=conf.oslo_middleware.max_request_body_size,
            quota_defaults={"volumes": conf.quota_volumes, "snapshots": conf.quota_snapshots,
                            "gigabytes": conf.quota_gigabytes, "backups": conf.quota_backups,
                            "backup_gigabytes": conf.quota_backup_gigabytes, "groups": conf.quota_groups,
                            "per_volume_gigabytes": conf.per_volume_size_limit},
            attachment_call_timeout_s=conf.attachment_call_timeout_s,
            max_metadata_items=conf.max_metadata_items,
            proxy_headers=conf.oslo_middleware.enable_proxy_headers_parsing,
            attachment_unfinished_after_s=conf.attachment_unfinished_after_s,
            idempotency_key_ttl_s=conf.database.idempotency_key_ttl_s,
        )
