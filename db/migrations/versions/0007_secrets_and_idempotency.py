"""Idempotency keys: answers up to 16 MB on MySQL/MariaDB (MEDIUMTEXT), and an index for their expiry.

provider_auth keeps its type: it now holds ``fernet:<token>`` (db.keyring), which fits in 255
characters; rows written before are read as plaintext until ``ember-manage keys rotate``.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _is_mysql() -> bool:
    return op.get_bind().dialect.name in ("mysql", "mariadb")


def upgrade() -> None:
    if _is_mysql():  # elsewhere TEXT has no 64 KB limit
        op.alter_column("idempotency_keys", "body", existing_type=sa.Text(), type_=mysql.MEDIUMTEXT(),
                        existing_nullable=True)
    op.create_index("ix_idempotency_keys_created", "idempotency_keys", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_idempotency_keys_created", table_name="idempotency_keys")
    if _is_mysql():
        op.alter_column("idempotency_keys", "body", existing_type=mysql.MEDIUMTEXT(), type_=sa.Text(),
                        existing_nullable=True)
