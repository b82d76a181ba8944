"""Quota classes (os-quota-class-sets: the ``default`` class overrides the config's quota_* options) and
each project's default volume type (3.62).

Revision ID: 0014
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    op.create_table(
        "quota_classes",
        sa.Column("class_name", sa.String(length=255), primary_key=True),
        sa.Column("resource", sa.String(length=64), primary_key=True),
        sa.Column("hard_limit", sa.Integer(), nullable=False),
    )
    op.create_table(
        "default_volume_types",
        sa.Column("project_id", sa.String(length=255), primary_key=True),
        sa.Column("volume_type_id", sa.String(length=36), nullable=False, index=True),
        sa.Column("created_at", _TIMESTAMP, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("default_volume_types")
    op.drop_table("quota_classes")
