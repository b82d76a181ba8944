"""QoS specs (their keys, their consumer) and the one a volume type may be associated with; volume type
encryption specs (stored only: ember has no key manager).

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    op.create_table(
        "qos_specs",
        sa.Column("id", sa.String(length=36), primary_key=True),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("consumer", sa.String(length=32), nullable=False),
        sa.Column("created_at", _TIMESTAMP, nullable=False),
        sa.Column("updated_at", _TIMESTAMP, nullable=True),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("deleted_at", _TIMESTAMP, nullable=True),
    )
    op.create_index("ix_qos_specs_name", "qos_specs", ["name"])
    op.create_table(
        "qos_spec_keys",
        sa.Column("qos_specs_id", sa.String(length=36), primary_key=True),
        sa.Column("key", sa.String(length=255), primary_key=True),
        sa.Column("value", sa.String(length=255), nullable=False),
    )
    op.add_column("volume_types", sa.Column("qos_specs_id", sa.String(length=36), nullable=True))
    op.create_index("ix_volume_types_qos_specs_id", "volume_types", ["qos_specs_id"])
    op.create_table(
        "volume_type_encryption",
        sa.Column("volume_type_id", sa.String(length=36), primary_key=True),
        sa.Column("encryption_id", sa.String(length=36), nullable=False),
        sa.Column("provider", sa.String(length=255), nullable=False),
        sa.Column("cipher", sa.String(length=255), nullable=True),
        sa.Column("key_size", sa.Integer(), nullable=True),
        sa.Column("control_location", sa.String(length=255), nullable=False),
        sa.Column("created_at", _TIMESTAMP, nullable=False),
        sa.Column("updated_at", _TIMESTAMP, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("volume_type_encryption")
    op.drop_index("ix_volume_types_qos_specs_id", table_name="volume_types")
    op.drop_column("volume_types", "qos_specs_id")
    op.drop_table("qos_spec_keys")
    op.drop_index("ix_qos_specs_name", table_name="qos_specs")
    op.drop_table("qos_specs")
