"""scale out: per-channel Slack pacing shared by replicas, and card versions for coalesced updates

Revision ID: 0009_scale_out
Revises: 0006_erasure
Create Date: 2026-12-01 11:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0009_scale_out"
down_revision: str | None = "0006_erasure"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "channel_slots",
        sa.Column("channel", sa.String(length=100), nullable=False),
        sa.Column("free_at", sa.Float(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("channel"),
    )
    with op.batch_alter_table("leads", schema=None) as batch_op:
        # Bumped with every queued card update; the card drawn records the version it drew.
        batch_op.add_column(
            sa.Column("card_version", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("card_drawn_version", sa.Integer(), nullable=False, server_default="0")
        )
        # One replica at a time redraws a card, so redraws reach Slack in order.
        batch_op.add_column(
            sa.Column("card_drawing_until", storage.types.UTCDateTime(), nullable=True)
        )
    # An update queued before this upgrade still has a card to redraw.
    op.execute(
        "UPDATE leads SET card_version = 1 WHERE id IN "
        "(SELECT lead_id FROM outbox WHERE kind = 'update_card' AND state = 'pending')"
    )


def downgrade() -> None:
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_column("card_drawing_until")
        batch_op.drop_column("card_drawn_version")
        batch_op.drop_column("card_version")
    op.drop_table("channel_slots")
