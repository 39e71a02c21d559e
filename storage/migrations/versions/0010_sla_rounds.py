"""sla rounds: a lead's SLA clock can start again (an overturned rejection)

Revision ID: 0010_sla_rounds
Revises: 0006_erasure
Create Date: 2026-12-02 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0010_sla_rounds"
down_revision: str | None = "0006_erasure"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("leads", schema=None) as batch_op:
        # NULL and 0 for every lead already stored: its clock is the first one, counted
        # from its posting, and its nudges and breach keep the keys they were queued under.
        batch_op.add_column(sa.Column("sla_started_at", storage.types.UTCDateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("sla_round", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_column("sla_round")
        batch_op.drop_column("sla_started_at")
