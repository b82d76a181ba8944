"""The SQL schema. Migrations in ``db/migrations`` create exactly this (a test checks drift)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, Float, Index, Integer, String, Table, Text
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from db.keyring import EncryptedString

# microseconds on MySQL too: listing order and heartbeats need them
Timestamp = DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
# MySQL's TEXT holds 64 KB; MEDIUMTEXT 16 MB
LongText = Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")


class Base(DeclarativeBase):
    pass


class _Timestamps:
    created_at: Mapped[datetime] = mapped_column(Timestamp, nullable=False)
    updated_at: Mapped[datetime | None] = mapped_column(Timestamp)


class _SoftDelete:
    deleted: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    deleted_at: Mapped[datetime | None] = mapped_column(Timestamp)


class Volume(_Timestamps, _SoftDelete, Base):
    __tablename__ = "volumes"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(String(255), nullable=False)
    user_id: Mapped[str] = mapped_column(String(255), nullable=False)
    name: Mapped[str | None] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(String(255))
    size_gb: Mapped[int] = mapped_column(Integer, nullable=False)
    # while extending: the size asked for, so that recovery can replay a lost extend
    target_size_gb: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(32), nullable=False)
    # bumped by every change: the compare-and-swap token that orders concurrent requests
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    status_reason: Mapped[str | None] = mapped_column(String(1024))
    attach_status: Mapped[str] = mapped_column(String(32), nullable=False, default="detached")
    migration_status: Mapped[str | None] = mapped_column(String(32))
    # while a migration runs: the pool it moves to (then, once swapped, the pool it came from)
    migration_host: Mapped[str | None] = mapped_column(String(255))
    migration_type_id: Mapped[str | None] = mapped_column(String(36))  # a retype's new type, set at the swap
    availability_zone: Mapped[str] = mapped_column(String(255), nullable=False)
    volume_type_id: Mapped[str | None] = mapped_column(String(36))
    host: Mapped[str | None] = mapped_column(String(255))
    snapshot_id: Mapped[str | None] = mapped_column(String(36))
    source_volid: Mapped[str | None] = mapped_column(String(36))
    bootable: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    multiattach: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    provider_location: Mapped[str | None] = mapped_column(String(255))  # where the driver exported it
    # its CHAP credentials: never shown, kept encrypted (db.keyring)
    provider_auth: Mapped[str | None] = mapped_column(EncryptedString(255))
    metadata_: Mapped[dict[str, str]] = mapped_column("metadata", JSON, nullable=False, default=dict)
    group_id: Mapped[str | None] = mapped_column(String(36), index=True)  # the generic group it belongs to
    __table_args__ = (
        Index("ix_volumes_project_deleted", "project_id", "deleted", "created_at"),
        Index("ix_volumes_project_status", "project_id", "deleted", "status", "created_at"),
        Index("ix_volumes_project_name", "project_id", "deleted", "name"),
        Index("ix_volumes_deleted_created", "deleted", "created_at"),
        Index("ix_volumes_host_status", "host", "status"),
    )


class Transfer(_Timestamps, _SoftDelete, Base):
    """A volume offered to another project; accepted ones stay, soft-deleted, as the 3.57 history."""

    __tablename__ = "transfers"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    volume_id: Mapped[str] = mapped_column(String(36), nullable=False)
    name: Mapped[str | None] = mapped_column(String(255))
    salt: Mapped[str] = mapped_column(String(64), nullable=False)
    key_hash: Mapped[str] = mapped_column(String(128), nullable=False)  # never the key itself
    no_snapshots: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    source_project_id: Mapped[str] = mapped_column(String(255), nullable=False)
    destination_project_id: Mapped[str | None] = mapped_column(String(255))
    accepted: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    __table_args__ = (
        Index("ix_transfers_project_deleted", "source_project_id", "deleted", "created_at"),
        Index("ix_transfers_volume_id", "volume_id"),
    )


class Snapshot(_Timestamps, _SoftDelete, Base):
    __tablename__ = "snapshots"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(String(255), nullable=False)
    user_id: Mapped[str] = mapped_column(String(255), nullable=False)
    volume_id: Mapped[str] = mapped_column(String(36), nullable=False, index=True)
    name: Mapped[str | None] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(String(255))
    size_gb: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[str] = mapped_column(String(32), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    status_reason: Mapped[str | None] = mapped_column(String(1024))
    progress: Mapped[str] = mapped_column(String(8), nullable=False, default="0%")
    metadata_: Mapped[dict[str, str]] = mapped_column("metadata", JSON, nullable=False, default=dict)
    group_snapshot_id: Mapped[str | None] = mapped_column(String(36), index=True)  # taken with its group's
    __table_args__ = (
        Index("ix_snapshots_project_deleted", "project_id", "deleted", "created_at"),
        Index("ix_snapshots_project_status", "project_id", "deleted", "status", "created_at"),
        Index("ix_snapshots_deleted_created", "deleted", "created_at"),
    )


class VolumeType(_Timestamps, _SoftDelete, Base):
    __tablename__ = "volume_types"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(255), nullable=False, index=True)
    description: Mapped[str | None] = mapped_column(String(255))
    is_public: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    # the QoS specs the type is associated with (at most one, as in Cinder)
    qos_specs_id: Mapped[str | None] = mapped_column(String(36), index=True)


class VolumeTypeExtraSpec(Base):
    __tablename__ = "volume_type_extra_specs"
    volume_type_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[str] = mapped_column(String(255), nullable=False)


class QosSpecs(_Timestamps, _SoftDelete, Base):
    """A named set of QoS keys, for the hypervisor (consumer front-end), the backend (back-end) or both."""

    __tablename__ = "qos_specs"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(255), nullable=False, index=True)
    consumer: Mapped[str] = mapped_column(String(32), nullable=False)


class QosSpecKey(Base):
    __tablename__ = "qos_spec_keys"
    qos_specs_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[str] = mapped_column(String(255), nullable=False)


class VolumeTypeEncryption(_Timestamps, Base):
    """A volume type's encryption specs (Cinder's encryption table); stored and shown, never applied."""

    __tablename__ = "volume_type_encryption"
    volume_type_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    encryption_id: Mapped[str] = mapped_column(String(36), nullable=False)
    provider: Mapped[str] = mapped_column(String(255), nullable=False)
    cipher: Mapped[str | None] = mapped_column(String(255))
    key_size: Mapped[int | None] = mapped_column(Integer)
    control_location: Mapped[str] = mapped_column(String(255), nullable=False)


class VolumeTypeProject(Base):
    """A project a private volume type is shared with (Cinder's type access)."""

    __tablename__ = "volume_type_projects"
    __table_args__ = (Index("ix_volume_type_projects_project", "project_id"),)
    volume_type_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(String(255), primary_key=True)


class GroupType(_Timestamps, _SoftDelete, Base):
    __tablename__ = "group_types"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(255), nullable=False, index=True)
    description: Mapped[str | None] = mapped_column(String(255))
    is_public: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)


class GroupTypeSpec(Base):
    __tablename__ = "group_type_specs"
    group_type_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[str] = mapped_column(String(255), nullable=False)


class Group(_Timestamps, _SoftDelete, Base):
    """A generic volume group: volumes of its volume types on one backend (``host``, set with the first)."""

    __tablename__ = "groups"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(String(255), nullable=False)
    user_id: Mapped[str] = mapped_column(String(255), nullable=False)
    name: Mapped[str | None] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(32), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    availability_zone: Mapped[str] = mapped_column(String(255), nullable=False)
    group_type_id: Mapped[str] = mapped_column(String(36), nullable=False, index=True)
    host: Mapped[str | None] = mapped_column(String(255))  # host@backend of its volumes
    group_snapshot_id: Mapped[str | None] = mapped_column(String(36))
    source_group_id: Mapped[str | None] = mapped_column(String(36))
    __table_args__ = (Index("ix_groups_project_deleted", "project_id", "deleted", "created_at"),)


class GroupSnapshot(_Timestamps, _SoftDelete, Base):
    """Snapshots of every volume of a group, taken together on the group's backend (``host``)."""

    __tablename__ = "group_snapshots"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(String(255), nullable=False)
    user_id: Mapped[str] = mapped_column(String(255), nullable=False)
    group_id: Mapped[str] = mapped_column(String(36), nullable=False, index=True)
    group_type_id: Mapped[str] = mapped_column(String(36), nullable=False)
    name: Mapped[str | None] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(32), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    status_reason: Mapped[str | None] = mapped_column(String(1024))
    host: Mapped[str | None] = mapped_column(String(255))
    __table_args__ = (
        Index("ix_group_snapshots_project_deleted", "project_id", "deleted", "created_at"),
        Index("ix_group_snapshots_host_status", "host", "status"),
    )


class GroupVolumeType(Base):
    """A volume type a group's volumes may have."""

    __tablename__ = "group_volume_types"
    __table_args__ = (Index("ix_group_volume_types_type", "volume_type_id"),)
    group_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    volume_type_id: Mapped[str] = mapped_column(String(36), primary_key=True)


class Service(Base):
    """One row per service process. A backend's volume services share ``host`` (host@backend)
    and differ by ``node``; ``disabled`` and ``frozen`` are set on all of a host's rows at once."""

    __tablename__ = "services"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    host: Mapped[str] = mapped_column(String(255), nullable=False)
    binary: Mapped[str] = mapped_column(String(64), nullable=False)
    node: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    topic: Mapped[str] = mapped_column(String(255), nullable=False)
    availability_zone: Mapped[str] = mapped_column(String(255), nullable=False)
    disabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    disabled_reason: Mapped[str | None] = mapped_column(String(255))
    frozen: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    ha_role: Mapped[str | None] = mapped_column(String(16))
    ha_epoch: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(Timestamp, nullable=False)
    heartbeat_at: Mapped[datetime] = mapped_column(Timestamp, nullable=False)
    __table_args__ = (Index("ux_services_host_binary_node", "host", "binary", "node", unique=True),)


class Pool(Base):
    """A backend pool as its volume service last reported it, plus the capacity claimed on it.

    ``allocated_capacity_gb`` belongs to the schedulers' claims (one conditional UPDATE each);
    the volume service's reports never overwrite it.
    """

    __tablename__ = "pools"
    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    backend_host: Mapped[str] = mapped_column(String(255), nullable=False, index=True)
    volume_backend_name: Mapped[str] = mapped_column(String(255), nullable=False)
    availability_zone: Mapped[str] = mapped_column(String(255), nullable=False)
    total_capacity_gb: Mapped[float] = mapped_column(Float, nullable=False)
    free_capacity_gb: Mapped[float] = mapped_column(Float, nullable=False)
    allocated_capacity_gb: Mapped[float] = mapped_column(Float, nullable=False, default=0)
    reserved_percentage: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    max_over_subscription_ratio: Mapped[float] = mapped_column(Float, nullable=False, default=1.0)
    thin_provisioning_support: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    capabilities: Mapped[dict[str, object]] = mapped_column(JSON, nullable=False, default=dict)
    updated_at: Mapped[datetime] = mapped_column(Timestamp, nullable=False)


class Quota(Base):
    __tablename__ = "quotas"
    project_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    resource: Mapped[str] = mapped_column(String(64), primary_key=True)
    hard_limit: Mapped[int] = mapped_column(Integer, nullable=False)


class QuotaUsage(Base):
    __tablename__ = "quota_usages"
    project_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    resource: Mapped[str] = mapped_column(String(64), primary_key=True)
    in_use: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class QuotaClass(Base):
    """A quota class's limit on one resource; the ``default`` class overrides the config's quota_* options."""

    __tablename__ = "quota_classes"
    class_name: Mapped[str] = mapped_column(String(255), primary_key=True)
    resource: Mapped[str] = mapped_column(String(64), primary_key=True)
    hard_limit: Mapped[int] = mapped_column(Integer, nullable=False)


class DefaultVolumeType(Base):
    """A project's default volume type (3.62): a volume created without a type gets it."""

    __tablename__ = "default_volume_types"
    project_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    volume_type_id: Mapped[str] = mapped_column(String(36), nullable=False, index=True)
    created_at: Mapped[datetime] = mapped_column(Timestamp, nullable=False)


class Attachment(_Timestamps, _SoftDelete, Base):
    __tablename__ = "attachments"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    volume_id: Mapped[str] = mapped_column(String(36), nullable=False, index=True)
    project_id: Mapped[str] = mapped_column(String(255), nullable=False)
    instance_uuid: Mapped[str | None] = mapped_column(String(36))
    attached_host: Mapped[str | None] = mapped_column(String(255))
    mountpoint: Mapped[str | None] = mapped_column(String(255))
    attach_mode: Mapped[str] = mapped_column(String(8), nullable=False, default="rw")
    status: Mapped[str] = mapped_column(String(32), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    connector: Mapped[dict[str, object] | None] = mapped_column(JSON)
    # as the driver returned it, less the CHAP secret: the view adds the volume's provider_auth back
    connection_info: Mapped[dict[str, object] | None] = mapped_column(JSON)
    attached_at: Mapped[datetime | None] = mapped_column(Timestamp)
    detached_at: Mapped[datetime | None] = mapped_column(Timestamp)
    __table_args__ = (Index("ix_attachments_project_deleted", "project_id", "deleted", "created_at"),)


class Backup(_Timestamps, _SoftDelete, Base):
    __tablename__ = "backups"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(String(255), nullable=False)
    user_id: Mapped[str] = mapped_column(String(255), nullable=False)
    volume_id: Mapped[str] = mapped_column(String(36), nullable=False, index=True)
    snapshot_id: Mapped[str | None] = mapped_column(String(36))
    name: Mapped[str | None] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(String(255))
    size_gb: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[str] = mapped_column(String(32), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    status_reason: Mapped[str | None] = mapped_column(String(1024))
    host: Mapped[str | None] = mapped_column(String(255))
    container: Mapped[str | None] = mapped_column(String(255))
    object_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    parent_id: Mapped[str | None] = mapped_column(String(36), index=True)  # an incremental's parent
    temp_snapshot_id: Mapped[str | None] = mapped_column(String(36))  # a forced backup's, removed in every outcome
    restore_volume_id: Mapped[str | None] = mapped_column(String(36))  # the target of a running restore
    availability_zone: Mapped[str | None] = mapped_column(String(255))
    progress: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")  # percent
    metadata_: Mapped[dict[str, str] | None] = mapped_column("metadata", JSON)
    data_timestamp: Mapped[datetime | None] = mapped_column(Timestamp)
    stored_bytes: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0, server_default="0")
    __table_args__ = (
        Index("ix_backups_project_deleted", "project_id", "deleted", "created_at"),
        Index("ix_backups_deleted_status_host", "deleted", "status", "host"),
    )


class TrackedWork(Base):
    """The operation a volume service runs on a resource right now: its claim on that resource.

    Landing the operation's status checks ``claim_id``, so work taken away from a service (by
    a reset of a dead holder's resource, or by a successor) can no longer land.
    """

    __tablename__ = "tracked_work"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    resource_type: Mapped[str] = mapped_column(String(32), nullable=False)
    resource_id: Mapped[str] = mapped_column(String(36), nullable=False)
    operation: Mapped[str] = mapped_column(String(64), nullable=False)
    backend_host: Mapped[str] = mapped_column(String(255), nullable=False, index=True)
    service_host: Mapped[str] = mapped_column(String(255), nullable=False)  # the node holding it
    epoch: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    claim_id: Mapped[str] = mapped_column(String(36), nullable=False, default="")
    started_at: Mapped[datetime] = mapped_column(Timestamp, nullable=False)
    __table_args__ = (Index("ux_tracked_work_resource", "resource_id", unique=True),)


class Backend(Base):
    """A backend's active volume service: its epoch (the fencing token) and who took it."""

    __tablename__ = "backends"
    backend_host: Mapped[str] = mapped_column(String(255), primary_key=True)
    epoch: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    holder: Mapped[str | None] = mapped_column(String(255))
    # bumped by every fenced write: what makes a write and a takeover of the same backend serialize
    fenced_writes: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    updated_at: Mapped[datetime] = mapped_column(Timestamp, nullable=False)


class BackendLease(Base):
    """The SQL election's lease of a backend: a row of its own, so renewals never wait for fenced writes."""

    __tablename__ = "backend_leases"
    backend_host: Mapped[str] = mapped_column(String(255), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(255))
    epoch: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    expires_at: Mapped[datetime | None] = mapped_column(Timestamp)


class IdempotencyKey(Base):
    """The first answer to a POST that carried an Idempotency-Key, replayed on a retry."""

    __tablename__ = "idempotency_keys"
    project_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_path: Mapped[str] = mapped_column(String(1024), nullable=False)
    # set in the same transaction that created the resource, so a crash can't orphan it
    resource_id: Mapped[str | None] = mapped_column(String(36))
    status_code: Mapped[int | None] = mapped_column(Integer)
    # the answer, less CHAP secrets; None once answered: too large to keep (see db.api.idempotency)
    body: Mapped[str | None] = mapped_column(LongText)
    # which run of the request holds the key; a retry taking over an abandoned claim replaces it
    claim_id: Mapped[str] = mapped_column(String(36), nullable=False)
    # when the key was (last) claimed: it is forgotten idempotency_key_ttl_s later
    created_at: Mapped[datetime] = mapped_column(Timestamp, nullable=False)
    __table_args__ = (Index("ix_idempotency_keys_created", "created_at"),)


class UserMessage(Base):
    """Cinder's user messages (/v3/messages): why an asynchronous request failed."""

    __tablename__ = "messages"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(String(255), nullable=False, index=True)
    resource_type: Mapped[str] = mapped_column(String(32), nullable=False)
    resource_uuid: Mapped[str] = mapped_column(String(36), nullable=False)
    event_id: Mapped[str] = mapped_column(String(64), nullable=False)
    message_level: Mapped[str] = mapped_column(String(16), nullable=False, default="ERROR")
    user_message: Mapped[str] = mapped_column(String(1024), nullable=False)
    request_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(Timestamp, nullable=False)
    expires_at: Mapped[datetime | None] = mapped_column(Timestamp)
    __table_args__ = (Index("ix_messages_project_created", "project_id", "created_at"),)


def table_of(model: type[Base]) -> Table:
    """The model's Table, typed as one (SQLAlchemy types ``__table__`` as a plain FromClause)."""
    table = model.__table__
    assert isinstance(table, Table)
    return table
