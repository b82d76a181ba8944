"""Backups as the backup service runs them: parent (incrementals), temporary snapshot, restore target, progress.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

TS = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")

_COLUMNS = (
    sa.Column("parent_id", sa.String(36), nullable=True),
    sa.Column("temp_snapshot_id", sa.String(36), nullable=True),
    sa.Column("restore_volume_id", sa.String(36), nullable=True),
    sa.Column("availability_zone", sa.String(255), nullable=True),
    sa.Column("progress", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("metadata", sa.JSON(), nullable=True),
    sa.Column("data_timestamp", TS, nullable=True),
    sa.Column("stored_bytes", sa.BigInteger(), nullable=False, server_default="0"),
)
_INDEXES = (
    ("ix_backups_project_deleted", ["project_id", "deleted", "created_at"]),
    ("ix_backups_deleted_status_host", ["deleted", "status", "host"]),
    ("ix_backups_parent_id", ["parent_id"]),
)


def upgrade() -> None:
    for column in _COLUMNS:
        op.add_column("backups", column.copy())
    for name, columns in _INDEXES:
        op.create_index(name, "backups", columns)


def downgrade() -> None:
    for name, _ in _INDEXES:
        op.drop_index(name, table_name="backups")
    for column in _COLUMNS:
        op.drop_column("backups", column.name)
