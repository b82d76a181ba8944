"""The engine settings and the backup store that ember.conf's backup_* options describe (backup service).

Each store's module is imported only when it is the configured one: the Swift and S3 clients (keystoneauth,
requests, boto3, botocore: ~17 MiB resident) stay out of a backup service storing to a POSIX folder.
"""

from __future__ import annotations

from oslo_config import cfg

from backup.engine.create import BackupSettings
from backup.stores.base import BackupStore


def engine_settings(conf: cfg.ConfigOpts) -> BackupSettings:
    return BackupSettings(chunk_size=conf.backup_chunk_size, block_size=conf.backup_sha_block_size_bytes,
                          compression=conf.backup_compression_algorithm, level=conf.backup_compression_level,
                          workers=conf.backup_workers, depth=conf.backup_chunks_in_flight)


def backup_store(conf: cfg.ConfigOpts) -> BackupStore:
    """The configured store (raises ``StoreError`` when it cannot be reached or prepared)."""
    if conf.backup_store == "swift":
        from backup.stores.swift import SwiftStore

        return SwiftStore(auth_url=conf.backup_swift_auth_url, user=conf.backup_swift_user,
                          key=conf.backup_swift_key, container=conf.backup_swift_container,
                          auth_version=conf.backup_swift_auth_version)
    if conf.backup_store == "s3":
        from backup.stores.s3 import S3Store

        return S3Store(endpoint_url=conf.backup_s3_endpoint_url, access_key=conf.backup_s3_store_access_key,
                       secret_key=conf.backup_s3_store_secret_key, bucket=conf.backup_s3_store_bucket,
                       region=conf.backup_s3_region)
    from backup.stores.posix import PosixStore

    return PosixStore(conf.backup_posix_path)
