"""What the feedback feature stores: CRM outcomes of leads, and each weekly digest posted."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Column, Index, UniqueConstraint, and_, func
from sqlmodel import Field, SQLModel

from storage.aggregates import seconds_between
from storage.models import Lead
from storage.types import UTCDateTime


def _utc(**kwargs: Any) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), **kwargs))


class OutcomeKind(StrEnum):
    OPPORTUNITY = "opportunity_created"
    WON = "won"
    LOST = "lost"


class LeadOutcome(SQLModel, table=True):
    """What the CRM reported about a lead after sales took it: one row per kind per lead."""

    __tablename__ = "lead_outcomes"
    __table_args__ = (
        # Idempotent intake: the same kind for the same lead is stored once.
        UniqueConstraint("lead_id", "kind", name="uq_lead_outcomes_lead_kind"),
        # Covers every outcome figure of a period (see bot/feedback/metrics/).
        Index(
            "ix_lead_outcomes_cohort",
            "lead_created_at",
            "kind",
            "lead_source",
            "currency",
            "amount_cents",
            "lead_id",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    lead_id: int = Field(foreign_key="leads.id", nullable=False)
    # The lead's created_at and source, copied (intake never changes them): a
    # period's outcome figures are then one index range of this small table
    # instead of a join to a quarter of a million leads.
    lead_created_at: datetime = _utc(nullable=False)
    lead_source: str | None = Field(default=None, max_length=200)
    kind: str = Field(max_length=30)
    at: datetime = _utc(nullable=False)
    # Fixed point: hundredths of the currency unit, whatever the currency's own
    # minor unit; integer sums stay exact on both stores.
    amount_cents: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    currency: str | None = Field(default=None, max_length=3)
    reason: str | None = Field(default=None, max_length=500)
    received_at: datetime = _utc(nullable=False)


class DigestTrigger(StrEnum):
    SCHEDULED = "scheduled"
    MANUAL = "manual"  # `/leadfeedback digest post` or `handoff digest --post`


class DigestPost(SQLModel, table=True):
    """A weekly digest that was (or is being) posted; the unique key makes it once per week."""

    __tablename__ = "digest_posts"
    __table_args__ = (UniqueConstraint("week", "trigger", name="uq_digest_posts_week_trigger"),)

    id: int | None = Field(default=None, primary_key=True)
    week: str = Field(max_length=8)  # the ISO week reported on, e.g. 2025-W09
    trigger: str = Field(max_length=20)
    requested_by: str | None = Field(default=None, max_length=40)
    created_at: datetime = _utc(nullable=False)
    channel_id: str | None = Field(default=None, max_length=40)
    message_ts: str | None = Field(default=None, max_length=40)
    posted_at: datetime | None = _utc()


# --- what the figures in bot/feedback/metrics/ read, and the indexes that make them cheap -------
#
# A period's leads are found by created_at; the columns the counts need are all
# in ix_leads_metrics, so both stores answer from the index alone. Medians and
# 90th percentiles walk an index on the duration itself (ORDER BY ... LIMIT 2
# OFFSET k) instead of sorting a quarter of a million rows; the expressions
# below are both the definitions bot/feedback/metrics/ uses and the indexed ones, so
# they cannot drift apart.

_leads = Lead.__table__  # type: ignore[attr-defined]

CLAIM_SECONDS = seconds_between(_leads.c.posted_at, _leads.c.claimed_at)
DECISION_SECONDS = seconds_between(_leads.c.posted_at, _leads.c.closed_at)
RESPONSE_SECONDS = seconds_between(
    _leads.c.posted_at, func.coalesce(_leads.c.claimed_at, _leads.c.closed_at)
)

METRICS_INDEX = Index(
    "ix_leads_metrics",
    _leads.c.created_at,
    _leads.c.source,
    _leads.c.state,
    _leads.c.posted_at,
    _leads.c.claimed_at,
    _leads.c.closed_at,
    _leads.c.due_at,
    _leads.c.rejection_reason,
)
# Which leads have each duration; the partial indexes hold only those, and a
# query must repeat the condition for a store to use them.
HAS_CLAIM_TIME = and_(_leads.c.posted_at.is_not(None), _leads.c.claimed_at.is_not(None))
HAS_DECISION_TIME = and_(_leads.c.posted_at.is_not(None), _leads.c.closed_at.is_not(None))
HAS_RESPONSE_TIME = and_(
    _leads.c.posted_at.is_not(None),
    func.coalesce(_leads.c.claimed_at, _leads.c.closed_at).is_not(None),
)
CLAIM_TIME_INDEX = Index(
    "ix_leads_claim_time",
    CLAIM_SECONDS,
    _leads.c.created_at,
    _leads.c.source,
    sqlite_where=HAS_CLAIM_TIME,
    postgresql_where=HAS_CLAIM_TIME,
    # PostgreSQL reads an expression index alone only if it holds the columns too.
    postgresql_include=["posted_at", "claimed_at"],
)
DECISION_TIME_INDEX = Index(
    "ix_leads_decision_time",
    DECISION_SECONDS,
    _leads.c.created_at,
    _leads.c.source,
    sqlite_where=HAS_DECISION_TIME,
    postgresql_where=HAS_DECISION_TIME,
    postgresql_include=["posted_at", "closed_at"],
)
SOURCE_RESPONSE_INDEX = Index(
    "ix_leads_source_response_time",
    _leads.c.source,
    RESPONSE_SECONDS,
    _leads.c.created_at,
    sqlite_where=HAS_RESPONSE_TIME,
    postgresql_where=HAS_RESPONSE_TIME,
    postgresql_include=["posted_at", "claimed_at", "closed_at"],
)
# The latest comments per rejection reason, newest decision first.
REASON_INDEX = Index(
    "ix_leads_reason_closed",
    _leads.c.state,
    _leads.c.rejection_reason,
    _leads.c.closed_at,
    _leads.c.created_at,
    _leads.c.source,
)
