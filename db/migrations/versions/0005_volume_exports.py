"""Volumes: the export a driver made for them (Cinder's provider_location and provider_auth).

provider_auth holds the CHAP credentials of an iSCSI export: admin-side only, never in a view.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("volumes") as batch:
        batch.add_column(sa.Column("provider_location", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("provider_auth", sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("volumes") as batch:
        batch.drop_column("provider_auth")
        batch.drop_column("provider_location")
