"""Attachments: a version for compare-and-swap, attach and detach times, and the project listing index.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    with op.batch_alter_table("attachments") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("attached_at", _TIMESTAMP, nullable=True))
        batch.add_column(sa.Column("detached_at", _TIMESTAMP, nullable=True))
        batch.create_index("ix_attachments_project_deleted", ["project_id", "deleted", "created_at"])


def downgrade() -> None:
    with op.batch_alter_table("attachments") as batch:
        batch.drop_index("ix_attachments_project_deleted")
        batch.drop_column("detached_at")
        batch.drop_column("attached_at")
        batch.drop_column("version")
