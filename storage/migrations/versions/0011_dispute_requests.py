"""dispute requests: where each manager's dispute DM is, so its buttons can go once decided

Revision ID: 0011_dispute_requests
Revises: 0008_mql_definition
Create Date: 2026-12-02 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0011_dispute_requests"
# After the disputes' own table (its foreign key), not beside it from 0006_erasure.
down_revision: str | None = "0008_mql_definition"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json_text(column: str, key: str) -> str:
    """A key of a JSON column as text, in this store's SQL."""
    if op.get_bind().dialect.name == "postgresql":
        return f"({column} ->> '{key}')"
    return f"json_extract({column}, '$.{key}')"


def upgrade() -> None:
    op.create_table(
        "definition_dispute_requests",
        sa.Column("dispute_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("ts", sa.String(length=40), nullable=False),
        sa.Column("posted_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["dispute_id"], ["definition_disputes.id"]),
        sa.PrimaryKeyConstraint("dispute_id", "user_id"),
    )
    # The requests already sent: their outbox rows say to whom (payload) and where (result),
    # so a dispute still open at the upgrade loses its buttons everywhere when decided.
    dispute_id = f"CAST({_json_text('o.payload', 'dispute_id')} AS INTEGER)"
    channel, ts = _json_text("o.result", "channel"), _json_text("o.result", "ts")
    op.execute(
        "INSERT INTO definition_dispute_requests (dispute_id, user_id, channel, ts, posted_at) "
        f"SELECT d.id, {_json_text('o.payload', 'user_id')}, {channel}, {ts}, o.sent_at "
        f"FROM outbox o JOIN definition_disputes d ON d.id = {dispute_id} "
        "WHERE o.kind = 'dispute_request' AND o.state = 'sent' AND o.sent_at IS NOT NULL "
        f"AND {channel} IS NOT NULL AND {ts} IS NOT NULL "
        f"AND {_json_text('o.payload', 'user_id')} IS NOT NULL"
    )


def downgrade() -> None:
    op.drop_table("definition_dispute_requests")
