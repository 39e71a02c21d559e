"""routing: a lead's assignment, each pool's rotation and counts, every decision, who is away

Revision ID: 0007_routing
Revises: 0006_erasure
Create Date: 2026-12-01 11:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0007_routing"
down_revision: str | None = "0006_erasure"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("routing", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("routing_tier", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("assigned_at", storage.types.UTCDateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("reassignments", sa.Integer(), nullable=False, server_default="0")
        )
    op.create_table(
        "routing_pools",
        sa.Column("pool_id", sa.String(length=40), primary_key=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("last_user_id", sa.String(length=40), nullable=True),
    )
    op.create_table(
        "routing_members",
        sa.Column("pool_id", sa.String(length=40), primary_key=True),
        sa.Column("user_id", sa.String(length=40), primary_key=True),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("present", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "routing_assignments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("lead_id", sa.Integer(), sa.ForeignKey("leads.id"), nullable=False),
        sa.Column("at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("assignee_id", sa.String(length=40), nullable=True),
        sa.Column("previous_id", sa.String(length=40), nullable=True),
        sa.Column("actor_id", sa.String(length=40), nullable=True),
        sa.Column("rule_index", sa.Integer(), nullable=True),
        sa.Column("pool_id", sa.String(length=40), nullable=True),
        sa.Column("tier", sa.String(length=40), nullable=True),
        sa.Column("candidates", sa.JSON(), nullable=False),
        sa.Column("skipped", sa.JSON(), nullable=False),
        sa.Column("note", sa.String(length=3000), nullable=True),
    )
    op.create_index("ix_routing_assignments_lead", "routing_assignments", ["lead_id", "id"])
    op.create_index(
        "ix_routing_assignments_assignee_at", "routing_assignments", ["assignee_id", "at"]
    )
    op.create_table(
        "rep_away",
        sa.Column("user_id", sa.String(length=40), primary_key=True),
        sa.Column("since", storage.types.UTCDateTime(), nullable=False),
        sa.Column("until", storage.types.UTCDateTime(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("rep_away")
    op.drop_index("ix_routing_assignments_assignee_at", table_name="routing_assignments")
    op.drop_index("ix_routing_assignments_lead", table_name="routing_assignments")
    op.drop_table("routing_assignments")
    op.drop_table("routing_members")
    op.drop_table("routing_pools")
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_column("reassignments")
        batch_op.drop_column("assigned_at")
        batch_op.drop_column("routing_tier")
        batch_op.drop_column("routing")
