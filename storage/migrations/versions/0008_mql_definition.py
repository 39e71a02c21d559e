"""mql definition: each lead's fit, the definition's versions, disputes, the quality index

Revision ID: 0008_mql_definition
Revises: 0006_erasure
Create Date: 2026-12-01 11:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0008_mql_definition"
down_revision: str | None = "0006_erasure"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

QUALITY_COLUMNS = [
    "created_at",
    "state",
    "fit_version",
    "fit_missed",
    "rejection_reason",
    "source",
    "employees",
    "score",
    "country",
    "industry",
]


def upgrade() -> None:
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fit_version", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("fit_missed", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("fit", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("review_state", sa.String(length=10), nullable=True))
        # Every quality figure reads a period's leads from this index alone.
        batch_op.create_index("ix_leads_quality", QUALITY_COLUMNS, unique=False)
    op.create_table(
        "definition_criteria",
        sa.Column("version", sa.String(length=16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("criterion_id", sa.String(length=40), nullable=False),
        sa.Column("label", sa.String(length=60), nullable=False),
        sa.Column("test", sa.JSON(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("version", "position"),
    )
    op.create_table(
        "definition_disputes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("rejection_event_id", sa.Integer(), nullable=False),
        sa.Column("lead_created_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("opened_by", sa.String(length=40), nullable=False),
        sa.Column("explanation", sa.String(length=3000), nullable=False),
        sa.Column("opened_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("notice_channel", sa.String(length=40), nullable=True),
        sa.Column("notice_ts", sa.String(length=40), nullable=True),
        sa.Column("decision", sa.String(length=10), nullable=True),
        sa.Column("decided_by", sa.String(length=40), nullable=True),
        sa.Column("decided_at", storage.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("rejection_event_id", name="uq_definition_disputes_rejection"),
    )
    op.create_index(
        "ix_definition_disputes_lead_created",
        "definition_disputes",
        ["lead_created_at", "decision"],
        unique=False,
    )
    # Once per month across replicas and restarts: the review's unique key.
    op.create_table(
        "definition_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("month", name="uq_definition_reviews_month"),
    )


def downgrade() -> None:
    op.drop_table("definition_reviews")
    op.drop_index("ix_definition_disputes_lead_created", table_name="definition_disputes")
    op.drop_table("definition_disputes")
    op.drop_table("definition_criteria")
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_index("ix_leads_quality")
        batch_op.drop_column("review_state")
        batch_op.drop_column("fit")
        batch_op.drop_column("fit_missed")
        batch_op.drop_column("fit_version")
