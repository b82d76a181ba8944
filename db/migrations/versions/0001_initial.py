"""Initial schema: volumes, snapshots, types, services, pools, quotas, attachments, backups,
tracked work, idempotency keys and user messages; plus the default volume type.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    op.create_table('attachments',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('volume_id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.Column('instance_uuid', sa.String(length=36), nullable=True),
    sa.Column('attached_host', sa.String(length=255), nullable=True),
    sa.Column('mountpoint', sa.String(length=255), nullable=True),
    sa.Column('attach_mode', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('connector', sa.JSON(), nullable=True),
    sa.Column('connection_info', sa.JSON(), nullable=True),
    sa.Column('created_at', TS, nullable=False),
    sa.Column('updated_at', TS, nullable=True),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('deleted_at', TS, nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_attachments_volume_id'), 'attachments', ['volume_id'], unique=False)
    op.create_table('backups',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.Column('user_id', sa.String(length=255), nullable=False),
    sa.Column('volume_id', sa.String(length=36), nullable=False),
    sa.Column('snapshot_id', sa.String(length=36), nullable=True),
    sa.Column('name', sa.String(length=255), nullable=True),
    sa.Column('description', sa.String(length=255), nullable=True),
    sa.Column('size_gb', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('status_reason', sa.String(length=1024), nullable=True),
    sa.Column('host', sa.String(length=255), nullable=True),
    sa.Column('container', sa.String(length=255), nullable=True),
    sa.Column('object_count', sa.Integer(), nullable=False),
    sa.Column('created_at', TS, nullable=False),
    sa.Column('updated_at', TS, nullable=True),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('deleted_at', TS, nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_backups_volume_id'), 'backups', ['volume_id'], unique=False)
    op.create_table('idempotency_keys',
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('request_path', sa.String(length=1024), nullable=False),
    sa.Column('resource_id', sa.String(length=36), nullable=True),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('claim_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', TS, nullable=False),
    sa.PrimaryKeyConstraint('project_id', 'key')
    )
    op.create_table('messages',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.Column('resource_type', sa.String(length=32), nullable=False),
    sa.Column('resource_uuid', sa.String(length=36), nullable=False),
    sa.Column('event_id', sa.String(length=64), nullable=False),
    sa.Column('message_level', sa.String(length=16), nullable=False),
    sa.Column('user_message', sa.String(length=1024), nullable=False),
    sa.Column('request_id', sa.String(length=64), nullable=True),
    sa.Column('created_at', TS, nullable=False),
    sa.Column('expires_at', TS, nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_messages_project_id'), 'messages', ['project_id'], unique=False)
    op.create_table('pools',
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('backend_host', sa.String(length=255), nullable=False),
    sa.Column('volume_backend_name', sa.String(length=255), nullable=False),
    sa.Column('availability_zone', sa.String(length=255), nullable=False),
    sa.Column('total_capacity_gb', sa.Float(), nullable=False),
    sa.Column('free_capacity_gb', sa.Float(), nullable=False),
    sa.Column('allocated_capacity_gb', sa.Float(), nullable=False),
    sa.Column('reserved_percentage', sa.Integer(), nullable=False),
    sa.Column('max_over_subscription_ratio', sa.Float(), nullable=False),
    sa.Column('thin_provisioning_support', sa.Boolean(), nullable=False),
    sa.Column('capabilities', sa.JSON(), nullable=False),
    sa.Column('updated_at', TS, nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    op.create_index(op.f('ix_pools_backend_host'), 'pools', ['backend_host'], unique=False)
    op.create_table('quota_usages',
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.Column('resource', sa.String(length=64), nullable=False),
    sa.Column('in_use', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('project_id', 'resource')
    )
    op.create_table('quotas',
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.Column('resource', sa.String(length=64), nullable=False),
    sa.Column('hard_limit', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('project_id', 'resource')
    )
    op.create_table('services',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('binary', sa.String(length=64), nullable=False),
    sa.Column('topic', sa.String(length=255), nullable=False),
    sa.Column('availability_zone', sa.String(length=255), nullable=False),
    sa.Column('disabled', sa.Boolean(), nullable=False),
    sa.Column('disabled_reason', sa.String(length=255), nullable=True),
    sa.Column('created_at', TS, nullable=False),
    sa.Column('heartbeat_at', TS, nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ux_services_host_binary', 'services', ['host', 'binary'], unique=True)
    op.create_table('snapshots',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.Column('user_id', sa.String(length=255), nullable=False),
    sa.Column('volume_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=True),
    sa.Column('description', sa.String(length=255), nullable=True),
    sa.Column('size_gb', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('status_reason', sa.String(length=1024), nullable=True),
    sa.Column('progress', sa.String(length=8), nullable=False),
    sa.Column('metadata', sa.JSON(), nullable=False),
    sa.Column('created_at', TS, nullable=False),
    sa.Column('updated_at', TS, nullable=True),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('deleted_at', TS, nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_snapshots_project_deleted', 'snapshots', ['project_id', 'deleted', 'created_at'], unique=False)
    op.create_index(op.f('ix_snapshots_volume_id'), 'snapshots', ['volume_id'], unique=False)
    op.create_table('tracked_work',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('resource_type', sa.String(length=32), nullable=False),
    sa.Column('resource_id', sa.String(length=36), nullable=False),
    sa.Column('operation', sa.String(length=64), nullable=False),
    sa.Column('backend_host', sa.String(length=255), nullable=False),
    sa.Column('service_host', sa.String(length=255), nullable=False),
    sa.Column('epoch', sa.Integer(), nullable=False),
    sa.Column('started_at', TS, nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_tracked_work_backend_host'), 'tracked_work', ['backend_host'], unique=False)
    op.create_index('ux_tracked_work_resource_op', 'tracked_work', ['resource_id', 'operation'], unique=True)
    op.create_table('volume_type_extra_specs',
    sa.Column('volume_type_id', sa.String(length=36), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('value', sa.String(length=255), nullable=False),
    sa.PrimaryKeyConstraint('volume_type_id', 'key')
    )
    op.create_table('volume_types',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=True),
    sa.Column('is_public', sa.Boolean(), nullable=False),
    sa.Column('created_at', TS, nullable=False),
    sa.Column('updated_at', TS, nullable=True),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('deleted_at', TS, nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_volume_types_name'), 'volume_types', ['name'], unique=False)
    op.create_table('volumes',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.Column('user_id', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=True),
    sa.Column('description', sa.String(length=255), nullable=True),
    sa.Column('size_gb', sa.Integer(), nullable=False),
    sa.Column('target_size_gb', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('status_reason', sa.String(length=1024), nullable=True),
    sa.Column('attach_status', sa.String(length=32), nullable=False),
    sa.Column('migration_status', sa.String(length=32), nullable=True),
    sa.Column('availability_zone', sa.String(length=255), nullable=False),
    sa.Column('volume_type_id', sa.String(length=36), nullable=True),
    sa.Column('host', sa.String(length=255), nullable=True),
    sa.Column('snapshot_id', sa.String(length=36), nullable=True),
    sa.Column('source_volid', sa.String(length=36), nullable=True),
    sa.Column('bootable', sa.Boolean(), nullable=False),
    sa.Column('multiattach', sa.Boolean(), nullable=False),
    sa.Column('metadata', sa.JSON(), nullable=False),
    sa.Column('created_at', TS, nullable=False),
    sa.Column('updated_at', TS, nullable=True),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('deleted_at', TS, nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_volumes_host_status', 'volumes', ['host', 'status'], unique=False)
    op.create_index('ix_volumes_project_deleted', 'volumes', ['project_id', 'deleted', 'created_at'], unique=False)
    volume_types = sa.table("volume_types", sa.column("id", sa.String), sa.column("name", sa.String),
                            sa.column("description", sa.String), sa.column("is_public", sa.Boolean),
                            sa.column("created_at", sa.DateTime), sa.column("deleted", sa.Boolean))
    op.bulk_insert(volume_types, [{"id": str(uuid.uuid4()), "name": "__DEFAULT__",
                                   "description": "Default Volume Type", "is_public": True,
                                   "created_at": datetime.now(UTC).replace(tzinfo=None), "deleted": False}])


def downgrade() -> None:
    op.drop_index('ix_volumes_project_deleted', table_name='volumes')
    op.drop_index('ix_volumes_host_status', table_name='volumes')
    op.drop_table('volumes')
    op.drop_index(op.f('ix_volume_types_name'), table_name='volume_types')
    op.drop_table('volume_types')
    op.drop_table('volume_type_extra_specs')
    op.drop_index('ux_tracked_work_resource_op', table_name='tracked_work')
    op.drop_index(op.f('ix_tracked_work_backend_host'), table_name='tracked_work')
    op.drop_table('tracked_work')
    op.drop_index(op.f('ix_snapshots_volume_id'), table_name='snapshots')
    op.drop_index('ix_snapshots_project_deleted', table_name='snapshots')
    op.drop_table('snapshots')
    op.drop_index('ux_services_host_binary', table_name='services')
    op.drop_table('services')
    op.drop_table('quotas')
    op.drop_table('quota_usages')
    op.drop_index(op.f('ix_pools_backend_host'), table_name='pools')
    op.drop_table('pools')
    op.drop_index(op.f('ix_messages_project_id'), table_name='messages')
    op.drop_table('messages')
    op.drop_table('idempotency_keys')
    op.drop_index(op.f('ix_backups_volume_id'), table_name='backups')
    op.drop_table('backups')
    op.drop_index(op.f('ix_attachments_volume_id'), table_name='attachments')
    op.drop_table('attachments')
