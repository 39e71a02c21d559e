"""erasure: when a lead's personal data was erased, and the index the retention sweep reads

Revision ID: 0006_erasure
Revises: 0001
Create Date: 2026-12-01 10:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0006_erasure"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("erased_at", storage.types.UTCDateTime(), nullable=True))
        # The retention sweep's question: old leads whose personal data is still there.
        batch_op.create_index(
            "ix_leads_unerased_created",
            ["created_at"],
            unique=False,
            sqlite_where=sa.text("erased_at IS NULL"),
            postgresql_where=sa.text("erased_at IS NULL"),
        )


def downgrade() -> None:
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_index("ix_leads_unerased_created")
        batch_op.drop_column("erased_at")
