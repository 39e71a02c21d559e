"""What the MQL definition stores: each version's criteria, and disputed rejections.

A lead's fit is stored on the lead (`fit_version`, `fit_missed`: bit i set when
the version's criterion at position i was missed). `definition_criteria` names
those positions, so a figure per criterion is one GROUP BY over the leads' index
joined to this small table, in SQL on both stores (bot/feedback/metrics/quality.py).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.models import Lead
from storage.types import UTCDateTime


def _utc(**kwargs: Any) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), **kwargs))


class DefinitionCriterion(SQLModel, table=True):
    """One criterion of one version of the definition, as it was when leads were graded."""

    __tablename__ = "definition_criteria"

    version: str = Field(primary_key=True, max_length=16)
    position: int = Field(primary_key=True)
    criterion_id: str = Field(max_length=40)
    label: str = Field(max_length=60)
    test: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = _utc(nullable=False)


class DisputeDecision(StrEnum):
    UPHOLD = "uphold"  # the rejection stands
    OVERTURN = "overturn"  # the lead goes back to open (or to its claimer)


class DefinitionDispute(SQLModel, table=True):
    """A marketer's dispute of a definition-miss rejection of a lead that met every criterion.

    One per rejection (the unique key); `decision` is set once, by one conditional
    UPDATE, so two managers clicking together cannot both decide.
    """

    __tablename__ = "definition_disputes"
    __table_args__ = (
        UniqueConstraint("rejection_event_id", name="uq_definition_disputes_rejection"),
        Index("ix_definition_disputes_lead_created", "lead_created_at", "decision"),
    )

    id: int | None = Field(default=None, primary_key=True)
    lead_id: int = Field(foreign_key="leads.id", nullable=False)
    rejection_event_id: int = Field(nullable=False)
    # Copied from the lead (intake never changes it): a period's disputes are one range.
    lead_created_at: datetime = _utc(nullable=False)
    opened_by: str = Field(max_length=40)
    explanation: str = Field(max_length=3000)
    opened_at: datetime = _utc(nullable=False)
    # Where the marketing notice is: decisions are answered in its thread.
    notice_channel: str | None = Field(default=None, max_length=40)
    notice_ts: str | None = Field(default=None, max_length=40)
    decision: str | None = Field(default=None, max_length=10)
    decided_by: str | None = Field(default=None, max_length=40)
    decided_at: datetime | None = _utc()


class DisputeRequestPost(SQLModel, table=True):
    """Where a dispute reached one manager's DM, recorded when it was posted: once the
    dispute is decided, every manager's copy is redrawn without Uphold and Overturn."""

    __tablename__ = "definition_dispute_requests"

    dispute_id: int = Field(foreign_key="definition_disputes.id", primary_key=True)
    user_id: str = Field(primary_key=True, max_length=40)
    channel: str = Field(max_length=40)
    ts: str = Field(max_length=40)
    posted_at: datetime = _utc(nullable=False)


_leads = Lead.__table__  # type: ignore[attr-defined]

# Every quality figure (bot/feedback/metrics/quality.py) reads a period's leads by
# created_at and only these columns, so both stores answer from this index alone.
QUALITY_INDEX = Index(
    "ix_leads_quality",
    _leads.c.created_at,
    _leads.c.state,
    _leads.c.fit_version,
    _leads.c.fit_missed,
    _leads.c.rejection_reason,
    _leads.c.source,
    _leads.c.employees,
    _leads.c.score,
    _leads.c.country,
    _leads.c.industry,
)


class DefinitionReviewPost(SQLModel, table=True):
    """A monthly definition review; the unique month makes it once across replicas."""

    __tablename__ = "definition_reviews"
    __table_args__ = (UniqueConstraint("month", name="uq_definition_reviews_month"),)

    id: int | None = Field(default=None, primary_key=True)
    month: str = Field(max_length=7)  # YYYY-MM, team time zone
    created_at: datetime = _utc(nullable=False)
