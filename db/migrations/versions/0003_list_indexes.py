"""Indexes that keep a list page's cost flat at any table size.

Each matches a filter and the sort keys Cinder's lists use most: a project's volumes by
created_at (there already), by status then created_at, by name; every project's (admins'
all_tenants lists) by created_at; the same for snapshots; a project's messages by created_at.
Together with ``deleted = false`` (an equality, not ``IS false``) a page reads its rows in
index order and stops at the limit.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_volumes_project_status", "volumes", ["project_id", "deleted", "status", "created_at"]),
    ("ix_volumes_project_name", "volumes", ["project_id", "deleted", "name"]),
    ("ix_volumes_deleted_created", "volumes", ["deleted", "created_at"]),
    ("ix_snapshots_project_status", "snapshots", ["project_id", "deleted", "status", "created_at"]),
    ("ix_snapshots_deleted_created", "snapshots", ["deleted", "created_at"]),
    ("ix_messages_project_created", "messages", ["project_id", "created_at"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
