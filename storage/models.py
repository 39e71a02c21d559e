"""What Handoff stores. Only classes with table=True are tables."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime

# leads.id is a 32-bit integer on PostgreSQL; a reference past it names no lead.
MAX_LEAD_ID = 2**31 - 1

# The lead fields a card can show (`card.fields` in app.yaml), with what people call them.
CARD_FIELD_LABELS = {
    "company": "Company",
    "title": "Title",
    "industry": "Industry",
    "employees": "Employees",
    "country": "Country",
    "source": "Source",
    "score": "Score",
    "email": "Email",
}
CARD_FIELD_NAMES = tuple(CARD_FIELD_LABELS)


class LeadState(StrEnum):
    OPEN = "open"
    CLAIMED = "claimed"
    ACCEPTED = "accepted"  # sales-accepted lead (SQL)
    REJECTED = "rejected"  # returned to marketing for nurture
    # The CRM took it back before its card was posted (deleted, merged, no longer an
    # MQL): never posted and not counted as an MQL (bot/crm/, bot/feedback/metrics.py).
    WITHDRAWN = "withdrawn"
    # Below the agreed MQL definition (`mql_definition.on_miss`: return, or a marketer's
    # Return in review): back to nurture without a card, not counted as an MQL.
    RETURNED = "returned"


OPEN_STATES = (LeadState.OPEN, LeadState.CLAIMED)


def _utc(**kwargs: Any) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), **kwargs))


class Lead(SQLModel, table=True):
    __tablename__ = "leads"
    __table_args__ = (
        # Duplicate detection: same email and source within the dedup window.
        Index("ix_leads_email_source_created", "email", "source", "created_at"),
        # The SLA sweep and "what is open" questions read open leads by deadline.
        Index("ix_leads_state_due", "state", "due_at", postgresql_include=["id"]),
        Index("ix_leads_created", "created_at"),
        Index("ix_leads_owner_state", "owner_id", "state"),
        # The SLA sweep's one query: open leads whose next SLA step is due. Only
        # leads the clock still runs for have sla_next_at, so the index stays small.
        # The retention sweep: old leads whose personal data is still there.
        Index(
            "ix_leads_unerased_created",
            "created_at",
            sqlite_where=text("erased_at IS NULL"),
            postgresql_where=text("erased_at IS NULL"),
        ),
        Index(
            "ix_leads_sla_next",
            "sla_next_at",
            sqlite_where=text("sla_next_at IS NOT NULL"),
            postgresql_where=text("sla_next_at IS NOT NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    external_id: str | None = Field(default=None, max_length=200, unique=True)
    email: str = Field(max_length=320)
    first_name: str | None = Field(default=None, max_length=200)
    last_name: str | None = Field(default=None, max_length=200)
    company: str | None = Field(default=None, max_length=300)
    title: str | None = Field(default=None, max_length=300)
    industry: str | None = Field(default=None, max_length=200)
    employees: int | None = None
    country: str | None = Field(default=None, max_length=100)
    source: str | None = Field(default=None, max_length=200)
    score: float | None = None
    reason: str | None = Field(default=None, max_length=1000)
    crm_url: str | None = Field(default=None, max_length=2000)
    fields: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))

    state: str = Field(default=LeadState.OPEN, max_length=20)
    owner_id: str | None = Field(default=None, max_length=40)
    created_at: datetime = _utc(nullable=False)
    posted_at: datetime | None = _utc()
    due_at: datetime | None = _utc()
    claimed_at: datetime | None = _utc()
    closed_at: datetime | None = _utc()
    channel_id: str | None = Field(default=None, max_length=40)
    message_ts: str | None = Field(default=None, max_length=40)
    rejection_reason: str | None = Field(default=None, max_length=40)
    rejection_comment: str | None = Field(default=None, max_length=3000)
    # The SLA clock (bot/sla/policy.py): the moment its sweep next has work for this lead,
    # NULL once the breach is handled or the lead is closed.
    sla_next_at: datetime | None = _utc()
    # A clock started again (an overturned rejection: work handed back) counts its window
    # from sla_started_at (NULL: from posted_at, the first clock) and is the lead's
    # sla_round'th restart, which the once-only keys of its nudges and breach name
    # (storage/kinds.py) so that they are not taken for the first clock's.
    sla_started_at: datetime | None = _utc()
    sla_round: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # The claimer's latest nudge DM, refreshed without buttons when the lead moves on.
    sla_dm_channel: str | None = Field(default=None, max_length=40)
    sla_dm_ts: str | None = Field(default=None, max_length=40)
    # When the lead's personal data was erased (storage/erasure.py); NULL while it is kept.
    erased_at: datetime | None = _utc()
    # The first sales activity the CRM recorded after the card was posted (bot/crm/).
    first_touch_at: datetime | None = _utc()
    # Routing (bot/routing/, routing.mode assign): "assigned" to owner_id by the rules,
    # or "claim" when nobody was available and the card fell back to Claim; NULL in
    # claim mode. The tier (sla.tiers) set its deadline; reassignments counts breaches.
    routing: str | None = Field(default=None, max_length=20)
    routing_tier: str | None = Field(default=None, max_length=40)
    assigned_at: datetime | None = _utc()
    reassignments: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # Coalesced card updates (bot/leads/deliveries.py): every queued update bumps
    # card_version; a redraw records the version it drew and never draws an older one.
    card_version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    card_drawn_version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    card_drawing_until: datetime | None = _utc()
    # The lead's fit to the MQL definition, graded once at intake (bot/definition/):
    # the version graded against, the missed criteria as a bit mask over that
    # version's criteria (storage/definition_models.py), and what the card shows
    # ({"met", "total", "misses": [[id, label]…]}). NULL: no definition was set.
    fit_version: str | None = Field(default=None, max_length=16)
    fit_missed: int | None = None
    fit: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # `on_miss: review`: pending until a marketer sends it on or returns it.
    review_state: str | None = Field(default=None, max_length=10)

    @property
    def display_name(self) -> str:
        name = " ".join(p for p in (self.first_name, self.last_name) if p)
        return name or self.email


class LeadEvent(SQLModel, table=True):
    """One row per thing that happened to a lead: the audit trail and the thread replies."""

    __tablename__ = "lead_events"
    __table_args__ = (Index("ix_lead_events_lead", "lead_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    lead_id: int = Field(foreign_key="leads.id", nullable=False)
    kind: str = Field(max_length=40)
    actor_id: str | None = Field(default=None, max_length=40)
    from_state: str | None = Field(default=None, max_length=20)
    to_state: str | None = Field(default=None, max_length=20)
    at: datetime = _utc(nullable=False)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class OutboxState(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    DROPPED = "dropped"  # no longer meaningful (e.g. its lead closed); kept for the record


class OutboxMessage(SQLModel, table=True):
    """Work for Slack, stored before it is attempted so that nothing is lost.

    `dedup_key` makes once-only work (one card per lead, one nudge per offset)
    a unique row: a second insert with the same key is a no-op.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("dedup_key", name="uq_outbox_dedup_key"),
        Index("ix_outbox_due", "state", "not_before"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=40)
    lead_id: int | None = Field(default=None, foreign_key="leads.id")
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    dedup_key: str | None = Field(default=None, max_length=200)
    state: str = Field(default=OutboxState.PENDING, max_length=20)
    attempts: int = 0
    created_at: datetime = _utc(nullable=False)
    not_before: datetime = _utc(nullable=False)
    lease_until: datetime | None = _utc()
    sent_at: datetime | None = _utc()
    last_error: str | None = Field(default=None, max_length=500)
    result: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
