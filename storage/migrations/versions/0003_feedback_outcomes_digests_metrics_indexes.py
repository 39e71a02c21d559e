"""lead outcomes, digest posts and the metrics indexes

Revision ID: 0003_feedback
Revises: 0001
Create Date: 2026-11-25 04:01:28.297240

Besides its own tables this adds indexes on `leads` (the Lead model belongs to
the handoff loop; these are declared in storage/feedback_models.py): one
covering index for the period counts, one for the latest rejection comments,
and three partial indexes on durations (time to claim, to disposition, to
respond per source) that the percentile queries walk in order. The duration expressions must stay
identical to storage.aggregates.seconds_between as each store compiles it;
tests/test_metrics.py checks that SQLite's plans use them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0003_feedback"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _seconds(start: str, end: str) -> sa.TextClause:
    if op.get_bind().dialect.name == "sqlite":
        return sa.text(f"((julianday({end}) - julianday({start})) * 86400.0)")
    return sa.text(f"(EXTRACT(EPOCH FROM ({end} - {start})))")


def _partial_index(
    name: str, columns: list[sa.TextClause | str], where: str, include: list[str]
) -> None:
    # INCLUDE: PostgreSQL reads an expression index alone only if it holds the columns too.
    op.create_index(
        name,
        "leads",
        columns,
        sqlite_where=sa.text(where),
        postgresql_where=sa.text(where),
        postgresql_include=include,
    )


def upgrade() -> None:
    op.create_table(
        "digest_posts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("week", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("trigger", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("requested_by", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("channel_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("message_ts", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("posted_at", storage.types.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("week", "trigger", name="uq_digest_posts_week_trigger"),
    )
    op.create_table(
        "lead_outcomes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("lead_created_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("lead_source", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=True),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=True),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("received_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("lead_id", "kind", name="uq_lead_outcomes_lead_kind"),
    )
    op.create_index(
        "ix_lead_outcomes_cohort",
        "lead_outcomes",
        ["lead_created_at", "kind", "lead_source", "currency", "amount_cents", "lead_id"],
    )
    op.create_index(
        "ix_leads_metrics",
        "leads",
        [
            "created_at",
            "source",
            "state",
            "posted_at",
            "claimed_at",
            "closed_at",
            "due_at",
            "rejection_reason",
        ],
    )
    op.create_index(
        "ix_leads_reason_closed",
        "leads",
        ["state", "rejection_reason", "closed_at", "created_at", "source"],
    )
    _partial_index(
        "ix_leads_claim_time",
        [_seconds("posted_at", "claimed_at"), "created_at", "source"],
        "posted_at IS NOT NULL AND claimed_at IS NOT NULL",
        ["posted_at", "claimed_at"],
    )
    _partial_index(
        "ix_leads_decision_time",
        [_seconds("posted_at", "closed_at"), "created_at", "source"],
        "posted_at IS NOT NULL AND closed_at IS NOT NULL",
        ["posted_at", "closed_at"],
    )
    _partial_index(
        "ix_leads_source_response_time",
        ["source", _seconds("posted_at", "coalesce(claimed_at, closed_at)"), "created_at"],
        "posted_at IS NOT NULL AND coalesce(claimed_at, closed_at) IS NOT NULL",
        ["posted_at", "claimed_at", "closed_at"],
    )


def downgrade() -> None:
    for name in (
        "ix_leads_source_response_time",
        "ix_leads_decision_time",
        "ix_leads_claim_time",
        "ix_leads_reason_closed",
        "ix_leads_metrics",
    ):
        op.drop_index(name, table_name="leads")
    op.drop_index("ix_lead_outcomes_cohort", table_name="lead_outcomes")
    op.drop_table("lead_outcomes")
    op.drop_table("digest_posts")
