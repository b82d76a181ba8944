"""Volume type access: the projects a private volume type is shared with (Cinder's volume_type_projects).

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "volume_type_projects",
        sa.Column("volume_type_id", sa.String(36), primary_key=True),
        sa.Column("project_id", sa.String(255), primary_key=True),
    )
    op.create_index("ix_volume_type_projects_project", "volume_type_projects", ["project_id"])


def downgrade() -> None:
    op.drop_index("ix_volume_type_projects_project", table_name="volume_type_projects")
    op.drop_table("volume_type_projects")
