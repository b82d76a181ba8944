"""Generic volume groups: group types and their specs, groups, the volume types a group takes, the
group a volume belongs to, group snapshots and the group snapshot a snapshot belongs to. Cinder's reserved group type ``default_cgsnapshot_type`` is seeded, as
Cinder's own schema seeds it.

Revision ID: 0012
Revises: 0010
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
DEFAULT_CGSNAPSHOT_TYPE = "default_cgsnapshot_type"


def _soft_delete_columns() -> list[sa.Column]:  # type: ignore[type-arg]
    return [sa.Column("created_at", _TIMESTAMP, nullable=False), sa.Column("updated_at", _TIMESTAMP, nullable=True),
            sa.Column("deleted", sa.Boolean(), nullable=False), sa.Column("deleted_at", _TIMESTAMP, nullable=True)]


def upgrade() -> None:
    group_types = op.create_table(
        "group_types",
        sa.Column("id", sa.String(length=36), primary_key=True),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.String(length=255), nullable=True),
        sa.Column("is_public", sa.Boolean(), nullable=False),
        *_soft_delete_columns(),
    )
    op.create_index("ix_group_types_name", "group_types", ["name"])
    specs = op.create_table(
        "group_type_specs",
        sa.Column("group_type_id", sa.String(length=36), primary_key=True),
        sa.Column("key", sa.String(length=255), primary_key=True),
        sa.Column("value", sa.String(length=255), nullable=False),
    )
    op.create_table(
        "groups",
        sa.Column("id", sa.String(length=36), primary_key=True),
        sa.Column("project_id", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("description", sa.String(length=255), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("availability_zone", sa.String(length=255), nullable=False),
        sa.Column("group_type_id", sa.String(length=36), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=True),
        sa.Column("group_snapshot_id", sa.String(length=36), nullable=True),
        sa.Column("source_group_id", sa.String(length=36), nullable=True),
        *_soft_delete_columns(),
    )
    op.create_index("ix_groups_project_deleted", "groups", ["project_id", "deleted", "created_at"])
    op.create_index("ix_groups_group_type_id", "groups", ["group_type_id"])
    op.create_table(
        "group_volume_types",
        sa.Column("group_id", sa.String(length=36), primary_key=True),
        sa.Column("volume_type_id", sa.String(length=36), primary_key=True),
    )
    op.create_index("ix_group_volume_types_type", "group_volume_types", ["volume_type_id"])
    with op.batch_alter_table("volumes") as batch:
        batch.add_column(sa.Column("group_id", sa.String(length=36), nullable=True))
        batch.create_index("ix_volumes_group_id", ["group_id"])
    op.create_table(
        "group_snapshots",
        sa.Column("id", sa.String(length=36), primary_key=True),
        sa.Column("project_id", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("group_id", sa.String(length=36), nullable=False),
        sa.Column("group_type_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("description", sa.String(length=255), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status_reason", sa.String(length=1024), nullable=True),
        sa.Column("host", sa.String(length=255), nullable=True),
        *_soft_delete_columns(),
    )
    op.create_index("ix_group_snapshots_project_deleted", "group_snapshots", ["project_id", "deleted", "created_at"])
    op.create_index("ix_group_snapshots_group_id", "group_snapshots", ["group_id"])
    op.create_index("ix_group_snapshots_host_status", "group_snapshots", ["host", "status"])
    with op.batch_alter_table("snapshots") as batch:
        batch.add_column(sa.Column("group_snapshot_id", sa.String(length=36), nullable=True))
        batch.create_index("ix_snapshots_group_snapshot_id", ["group_snapshot_id"])
    type_id = str(uuid.uuid4())
    op.bulk_insert(group_types, [{"id": type_id, "name": DEFAULT_CGSNAPSHOT_TYPE,
                                  "description": "Default group type for migrating cgsnapshot",
                                  "is_public": True, "created_at": datetime.now(UTC).replace(tzinfo=None),
                                  "deleted": False}])
    op.bulk_insert(specs, [{"group_type_id": type_id, "key": "consistent_group_snapshot_enabled",
                            "value": "<is> True"}])


def downgrade() -> None:
    with op.batch_alter_table("snapshots") as batch:
        batch.drop_index("ix_snapshots_group_snapshot_id")
        batch.drop_column("group_snapshot_id")
    op.drop_index("ix_group_snapshots_host_status", table_name="group_snapshots")
    op.drop_index("ix_group_snapshots_group_id", table_name="group_snapshots")
    op.drop_index("ix_group_snapshots_project_deleted", table_name="group_snapshots")
    op.drop_table("group_snapshots")
    with op.batch_alter_table("volumes") as batch:
        batch.drop_index("ix_volumes_group_id")
        batch.drop_column("group_id")
    op.drop_index("ix_group_volume_types_type", table_name="group_volume_types")
    op.drop_table("group_volume_types")
    op.drop_index("ix_groups_group_type_id", table_name="groups")
    op.drop_index("ix_groups_project_deleted", table_name="groups")
    op.drop_table("groups")
    op.drop_table("group_type_specs")
    op.drop_index("ix_group_types_name", table_name="group_types")
    op.drop_table("group_types")
