"""Backends: the epoch (fencing token) of each backend's active volume service; the SQL election's leases.

The lease has a row of its own, apart from the epoch: a renewal then never waits behind the
fenced writes that lock the epoch's row.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TS = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    op.create_table(
        "backends",
        sa.Column("backend_host", sa.String(length=255), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("holder", sa.String(length=255), nullable=True),
        sa.Column("fenced_writes", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("backend_host"),
    )
    op.create_table(
        "backend_leases",
        sa.Column("backend_host", sa.String(length=255), nullable=False),
        sa.Column("holder", sa.String(length=255), nullable=True),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("expires_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("backend_host"),
    )


def downgrade() -> None:
    op.drop_table("backend_leases")
    op.drop_table("backends")
