"""Volume migration: the pool a running migration moves a volume to, and a migrating retype's new type.

Revision ID: 0013
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("volumes") as batch:
        batch.add_column(sa.Column("migration_host", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("migration_type_id", sa.String(length=36), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("volumes") as batch:
        batch.drop_column("migration_type_id")
        batch.drop_column("migration_host")
