"""sla clock: the next SLA step of each open lead, and the claimer's latest nudge DM

Revision ID: 0002_sla
Revises: 0001
Create Date: 2026-11-25 03:51:36.339940
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0002_sla"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sla_next_at", storage.types.UTCDateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("sla_dm_channel", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True)
        )
        batch_op.add_column(
            sa.Column("sla_dm_ts", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True)
        )
        batch_op.create_index(
            "ix_leads_sla_next",
            ["sla_next_at"],
            unique=False,
            sqlite_where=sa.text("sla_next_at IS NOT NULL"),
            postgresql_where=sa.text("sla_next_at IS NOT NULL"),
        )
    # Leads already waiting start the clock where it would have started: the
    # first sweep catches up on what fell due meanwhile (only the breach if the
    # deadline has passed), exactly as after downtime.
    op.execute(
        "UPDATE leads SET sla_next_at = posted_at "
        "WHERE state IN ('open', 'claimed') AND posted_at IS NOT NULL AND due_at IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_leads_sla_next",
            sqlite_where=sa.text("sla_next_at IS NOT NULL"),
            postgresql_where=sa.text("sla_next_at IS NOT NULL"),
        )
        batch_op.drop_column("sla_dm_ts")
        batch_op.drop_column("sla_dm_channel")
        batch_op.drop_column("sla_next_at")
