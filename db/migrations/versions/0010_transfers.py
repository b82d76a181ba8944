"""Volume transfers (os-volume-transfer, volume-transfers): a volume offered to whoever holds its key.

Only a salted hash of the key is kept. Accepted transfers stay, soft-deleted, with their
destination (the 3.57 history).

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    op.create_table(
        "transfers",
        sa.Column("id", sa.String(length=36), primary_key=True),
        sa.Column("volume_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("salt", sa.String(length=64), nullable=False),
        sa.Column("key_hash", sa.String(length=128), nullable=False),
        sa.Column("no_snapshots", sa.Boolean(), nullable=False),
        sa.Column("source_project_id", sa.String(length=255), nullable=False),
        sa.Column("destination_project_id", sa.String(length=255), nullable=True),
        sa.Column("accepted", sa.Boolean(), nullable=False),
        sa.Column("created_at", _TIMESTAMP, nullable=False),
        sa.Column("updated_at", _TIMESTAMP, nullable=True),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("deleted_at", _TIMESTAMP, nullable=True),
    )
    op.create_index("ix_transfers_project_deleted", "transfers", ["source_project_id", "deleted", "created_at"])
    op.create_index("ix_transfers_volume_id", "transfers", ["volume_id"])


def downgrade() -> None:
    op.drop_index("ix_transfers_volume_id", table_name="transfers")
    op.drop_index("ix_transfers_project_deleted", table_name="transfers")
    op.drop_table("transfers")
