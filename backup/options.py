"""Options of the backup data engine and its store ([DEFAULT] backup_*, Cinder's names where Cinder has one)."""

from __future__ import annotations

from oslo_config import cfg

from backup.engine.format import DEFAULT_BLOCK_SIZE, DEFAULT_CHUNK_SIZE

BACKUP_OPTS = [
    cfg.StrOpt("backup_store", default="posix", choices=["posix", "swift", "s3"],
               help="Where backups are kept: a POSIX folder (an NFS mount), OpenStack Swift, or S3."),
    cfg.StrOpt("backup_compression_algorithm", default="zstd", choices=["zstd", "zlib", "none"],
               help="Compression of each chunk; a chunk that does not compress is stored as it is."),
    cfg.IntOpt("backup_compression_level", min=-7, max=22,
               help="Codec level (default: zstd 1, zlib 1); zstd accepts negative (faster) levels."),
    cfg.IntOpt("backup_chunk_size", default=DEFAULT_CHUNK_SIZE, min=64 * 1024, max=256 * 1024 * 1024,
               help="Bytes per chunk object; a multiple of backup_sha_block_size_bytes. Memory per running "
                    "operation is about (backup_chunks_in_flight + 2) chunks. Incrementals keep their parent's."),
    cfg.IntOpt("backup_sha_block_size_bytes", default=DEFAULT_BLOCK_SIZE, min=4096,
               help="Bytes per hashed block: the unit of zero detection and of the per-block sha256."),
    cfg.IntOpt("backup_workers", default=0, min=0,
               help="Threads that hash, compress and move chunks per operation (0: one per CPU)."),
    cfg.IntOpt("backup_chunks_in_flight", default=0, min=0,
               help="Chunks read but not yet stored (or fetched but not yet written) per operation "
                    "(0: backup_workers + 2)."),
    cfg.StrOpt("backup_posix_path", default="$state_path/backups", help="Folder of the posix store."),
    cfg.StrOpt("backup_swift_auth_url", help="Swift auth URL (v1 tempauth, or Keystone v3 with "
                                             "backup_swift_auth_version = 3)."),
    cfg.StrOpt("backup_swift_auth_version", default="1", choices=["1", "3"], help="Swift auth version."),
    cfg.StrOpt("backup_swift_user", help="Swift user (tempauth 'account:user')."),
    cfg.StrOpt("backup_swift_key", secret=True, help="Swift key or password."),
    cfg.StrOpt("backup_swift_container", default="volumebackups", help="Swift container of the backups."),
    cfg.StrOpt("backup_s3_endpoint_url", help="S3 endpoint URL (path-style addressing, SigV4)."),
    cfg.StrOpt("backup_s3_store_access_key", help="S3 access key."),
    cfg.StrOpt("backup_s3_store_secret_key", secret=True, help="S3 secret key."),
    cfg.StrOpt("backup_s3_store_bucket", default="volumebackups", help="S3 bucket of the backups."),
    cfg.StrOpt("backup_s3_region", default="us-east-1", help="S3 region name used in signatures."),
]


def register(conf: cfg.ConfigOpts) -> None:
    conf.register_opts(BACKUP_OPTS)
