"""One services row per process (node, frozen, HA role and epoch); tracked work as claims.

A backend's volume services share its host (host@backend) and differ by node. Tracked work
becomes one claim per resource with a token: landing a status checks the token, so work an
admin or a successor took away from a service can no longer land.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("services") as batch:
        batch.add_column(sa.Column("node", sa.String(length=255), nullable=False, server_default=""))
        batch.add_column(sa.Column("frozen", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("ha_role", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("ha_epoch", sa.Integer(), nullable=True))
        batch.drop_index("ux_services_host_binary")
    op.execute("UPDATE services SET node = host")
    op.create_index("ux_services_host_binary_node", "services", ["host", "binary", "node"], unique=True)

    op.execute("DELETE FROM tracked_work")  # written and never read until now
    with op.batch_alter_table("tracked_work") as batch:
        batch.add_column(sa.Column("claim_id", sa.String(length=36), nullable=False, server_default=""))
        batch.drop_index("ux_tracked_work_resource_op")
    op.create_index("ux_tracked_work_resource", "tracked_work", ["resource_id"], unique=True)


def downgrade() -> None:
    op.drop_index("ux_tracked_work_resource", table_name="tracked_work")
    with op.batch_alter_table("tracked_work") as batch:
        batch.drop_column("claim_id")
        batch.create_index("ux_tracked_work_resource_op", ["resource_id", "operation"], unique=True)
    op.drop_index("ux_services_host_binary_node", table_name="services")
    with op.batch_alter_table("services") as batch:
        for column in ("ha_epoch", "ha_role", "frozen", "node"):
            batch.drop_column(column)
        batch.create_index("ux_services_host_binary", ["host", "binary"], unique=True)
