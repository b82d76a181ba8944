"""Frozen values the DB API returns. Field names follow the columns."""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, TypeVar, cast

T = TypeVar("T")


@functools.cache
def _builder(cls: Any, columns: tuple[str, ...]) -> Callable[[Any], Any]:
    """How to make a ``cls`` from a row with these columns; lists build thousands of them."""
    names = [f.name for f in fields(cls)]
    if len(names) > 1 and all(name in columns for name in names):
        pick = operator.itemgetter(*(columns.index(name) for name in names))
        return lambda row: cls(*pick(row))
    wanted = [(i, column) for i, column in enumerate(columns) if column in names]
    return lambda row: cls(**{column: row[i] for i, column in wanted})


def from_row(cls: type[T], row: Any) -> T:
    """Build a record from a row; columns the record does not name are left out."""
    return cast(T, _builder(cast(Any, cls), tuple(row._fields))(row))


def from_rows(cls: type[T], rows: Iterable[Any]) -> list[T]:
    """``from_row`` for every row of a result (they all share one set of columns)."""
    rows = list(rows)
    if not rows:
        return []
    build = _builder(cast(Any, cls), tuple(rows[0]._fields))
    return [cast(T, build(row)) for row in rows]


@dataclass(frozen=True)
class Volume:
    id: str
    project_id: str
    user_id: str
    name: str | None
    description: str | None
    size_gb: int
    target_size_gb: int | None
    status: str
    version: int
    status_reason: str | None
    attach_status: str
    migration_status: str | None
    availability_zone: str
    volume_type_id: str | None
    host: str | None
    snapshot_id: str | None
    source_volid: str | None
    bootable: bool
    multiattach: bool
    metadata: dict[str, str]
    created_at: datetime
    updated_at: datetime | None
    deleted: bool = False
    deleted_at: datetime | None = None
    provider_location: str | None = None
    provider_auth: str | None = field(default=None, repr=False)  # CHAP secret: kept out of logs
    migration_host: str | None = None  # the pool a running migration moves the volume to
    migration_type_id: str | None = None  # a migrating retype's new type
    group_id: str | None = None

    @property
    def backend_host(self) -> str | None:
        """``host@backend`` of ``host@backend#pool``: the volume service that owns it."""
        return self.host.split("#", 1)[0] if self.host else None


@dataclass(frozen=True)
class Transfer:
    id: str
    volume_id: str
    name: str | None
    no_snapshots: bool
    source_project_id: str
    destination_project_id: str | None
    accepted: bool
    created_at: datetime
    salt: str = field(repr=False)
    key_hash: str = field(repr=False)
    updated_at: datetime | None = None
    deleted: bool = False
    deleted_at: datetime | None = None


@dataclass(frozen=True)
class Snapshot:
    id: str
    project_id: str
    user_id: str
    volume_id: str
    name: str | None
    description: str | None
    size_gb: int
    status: str
    version: int
    status_reason: str | None
    progress: str
    metadata: dict[str, str]
    created_at: datetime
    updated_at: datetime | None
    deleted: bool = False
    deleted_at: datetime | None = None
    group_snapshot_id: str | None = None


@dataclass(frozen=True)
class Backup:
    id: str
    project_id: str
    user_id: str
    volume_id: str
    snapshot_id: str | None
    name: str | None
    description: str | None
    size_gb: int
    status: str
    version: int
    status_reason: str | None
    host: str | None  # the backup service (``backup:<node>``) running or holding its work; None: not taken yet
    container: str | None
    object_count: int
    parent_id: str | None
    temp_snapshot_id: str | None
    restore_volume_id: str | None
    availability_zone: str | None
    progress: int
    metadata: dict[str, str] | None
    data_timestamp: datetime | None
    stored_bytes: int
    created_at: datetime
    updated_at: datetime | None
    deleted: bool = False
    deleted_at: datetime | None = None


@dataclass(frozen=True)
class Attachment:
    id: str
    volume_id: str
    project_id: str
    instance_uuid: str | None
    attached_host: str | None
    mountpoint: str | None
    attach_mode: str
    status: str
    version: int
    connector: dict[str, object] | None
    connection_info: dict[str, object] | None
    attached_at: datetime | None
    detached_at: datetime | None
    created_at: datetime
    updated_at: datetime | None
    deleted: bool = False
    deleted_at: datetime | None = None


@dataclass(frozen=True)
class VolumeType:
    id: str
    name: str
    description: str | None
    is_public: bool
    created_at: datetime
    updated_at: datetime | None
    extra_specs: dict[str, str] = field(default_factory=dict)
    qos_specs_id: str | None = None


@dataclass(frozen=True)
class QosSpecs:
    id: str
    name: str
    consumer: str  # front-end, back-end or both
    created_at: datetime
    updated_at: datetime | None
    specs: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TypeEncryption:
    volume_type_id: str
    encryption_id: str
    provider: str
    cipher: str | None
    key_size: int | None
    control_location: str
    created_at: datetime
    updated_at: datetime | None


@dataclass(frozen=True)
class DefaultVolumeType:
    """A project's default volume type (3.62)."""

    project_id: str
    volume_type_id: str
    created_at: datetime


@dataclass(frozen=True)
class Service:
    id: int
    host: str
    binary: str
    node: str
    topic: str
    availability_zone: str
    disabled: bool
    disabled_reason: str | None
    frozen: bool
    ha_role: str | None
    ha_epoch: int | None
    created_at: datetime
    heartbeat_at: datetime


@dataclass(frozen=True)
class Pool:
    name: str
    backend_host: str
    volume_backend_name: str
    availability_zone: str
    total_capacity_gb: float
    free_capacity_gb: float
    allocated_capacity_gb: float
    reserved_percentage: int
    max_over_subscription_ratio: float
    thin_provisioning_support: bool
    capabilities: dict[str, Any]
    updated_at: datetime


@dataclass(frozen=True)
class UserMessage:
    id: str
    project_id: str
    resource_type: str
    resource_uuid: str
    event_id: str
    message_level: str
    user_message: str
    request_id: str | None
    created_at: datetime
    expires_at: datetime | None


@dataclass(frozen=True)
class TrackedWork:
    id: int
    resource_type: str
    resource_id: str
    operation: str
    backend_host: str
    service_host: str
    epoch: int
    claim_id: str
    started_at: datetime


@dataclass(frozen=True)
class WorkClaim:
    """A volume service's hold on one resource for one operation (a tracked-work row)."""

    resource_type: str
    resource_id: str
    operation: str
    backend_host: str
    node: str
    epoch: int | None   # None only outside a volume service (tests, tools): then nothing is fenced
    claim_id: str


@dataclass(frozen=True)
class BackendEpoch:
    backend_host: str
    epoch: int
    holder: str | None
    fenced_writes: int
    updated_at: datetime


@dataclass(frozen=True)
class IdempotencyClaim:
    """One run of a POST holding its Idempotency-Key."""

    project_id: str
    key: str
    claim_id: str


@dataclass(frozen=True)
class IdempotentReply:
    status_code: int | None
    body: str | None
    request_path: str
    resource_id: str | None = None


@dataclass(frozen=True)
class GroupType:
    id: str
    name: str
    description: str | None
    is_public: bool
    group_specs: dict[str, str]
    created_at: datetime
    updated_at: datetime | None


@dataclass(frozen=True)
class Group:
    id: str
    project_id: str
    user_id: str
    name: str | None
    description: str | None
    status: str
    version: int
    availability_zone: str
    group_type_id: str
    host: str | None
    group_snapshot_id: str | None
    source_group_id: str | None
    created_at: datetime
    updated_at: datetime | None
    volume_type_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class GroupSnapshot:
    id: str
    project_id: str
    user_id: str
    group_id: str
    group_type_id: str
    name: str | None
    description: str | None
    status: str
    version: int
    status_reason: str | None
    host: str | None
    created_at: datetime
    updated_at: datetime | None
    deleted: bool = False
    deleted_at: datetime | None = None
