"""CRM connector: poll cursors, lead-record links, matched reps, first touch

Revision ID: 0005_crm
Revises: 0001
Create Date: 2026-12-01 09:00:00

Adds `leads.first_touch_at` (the first sales activity after the card was posted) and
a partial index on time to first touch, like the other duration indexes of
0003_feedback: the expression must stay identical to storage.aggregates.seconds_between
as each store compiles it (storage/crm_models.py declares the same index).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0005_crm"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HAS_FIRST_TOUCH = "posted_at IS NOT NULL AND first_touch_at IS NOT NULL"


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def _first_touch_seconds() -> sa.TextClause:
    if op.get_bind().dialect.name == "sqlite":
        return sa.text("((julianday(first_touch_at) - julianday(posted_at)) * 86400.0)")
    return sa.text("(EXTRACT(EPOCH FROM (first_touch_at - posted_at)))")


def upgrade() -> None:
    op.create_table(
        "crm_cursors",
        sa.Column("provider", _text(20), nullable=False),
        sa.Column("stream", _text(20), nullable=False),
        sa.Column("position", storage.types.UTCDateTime(), nullable=True),
        sa.Column("lease_until", storage.types.UTCDateTime(), nullable=True),
        sa.Column("polled_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("last_error", _text(500), nullable=True),
        sa.Column("updated_at", storage.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("provider", "stream"),
    )
    op.create_table(
        "crm_links",
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("provider", _text(20), nullable=False),
        sa.Column("record_id", _text(40), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("next_check_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("checked_at", storage.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"]),
        sa.PrimaryKeyConstraint("lead_id"),
        sa.UniqueConstraint("provider", "record_id", name="uq_crm_links_record"),
    )
    op.create_index(
        "ix_crm_links_next_check",
        "crm_links",
        ["next_check_at"],
        sqlite_where=sa.text("next_check_at IS NOT NULL"),
        postgresql_where=sa.text("next_check_at IS NOT NULL"),
    )
    op.create_table(
        "crm_reps",
        sa.Column("provider", _text(20), nullable=False),
        sa.Column("slack_user_id", _text(40), nullable=False),
        sa.Column("email", _text(320), nullable=True),
        sa.Column("owner_id", _text(40), nullable=True),
        sa.Column("problem", _text(300), nullable=True),
        sa.Column("checked_at", storage.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("provider", "slack_user_id"),
    )
    op.add_column("leads", sa.Column("first_touch_at", storage.types.UTCDateTime(), nullable=True))
    op.create_index(
        "ix_leads_first_touch_time",
        "leads",
        [_first_touch_seconds(), "created_at", "source"],
        sqlite_where=sa.text(HAS_FIRST_TOUCH),
        postgresql_where=sa.text(HAS_FIRST_TOUCH),
        postgresql_include=["posted_at", "first_touch_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_leads_first_touch_time", table_name="leads")
    with op.batch_alter_table("leads") as batch:
        batch.drop_column("first_touch_at")
    op.drop_table("crm_reps")
    op.drop_index("ix_crm_links_next_check", table_name="crm_links")
    op.drop_table("crm_links")
    op.drop_table("crm_cursors")
