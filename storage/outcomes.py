"""What happened to a lead in the CRM: stored once per kind, with the thread reply it owes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.feedback_models import LeadOutcome, OutcomeKind
from storage.kinds import OutboxKind, OutcomeRef, outcome_reply_key
from storage.models import MAX_LEAD_ID, Lead
from storage.outbox import enqueue
from storage.untrusted import Text

# A CRM's clock may run a little ahead of ours; more than this is a mistake.
FUTURE_TOLERANCE = timedelta(minutes=5)
MAX_AMOUNT = Decimal("1000000000000")


class OutcomeIn(BaseModel):
    """The body of POST /api/leads/{ref}/outcome."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, allow_inf_nan=False)

    type: OutcomeKind
    amount: Annotated[Decimal, Field(ge=0, lt=MAX_AMOUNT, decimal_places=2)] | None = None
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{3}$")] | None = None
    reason: Annotated[Text, StringConstraints(min_length=1, max_length=500)] | None = None
    at: AwareDatetime | None = None

    @model_validator(mode="after")
    def _fits_the_type(self) -> OutcomeIn:
        if self.type is OutcomeKind.WON and self.amount is None:
            raise ValueError("a won outcome needs amount and currency")
        if (self.amount is None) != (self.currency is None):
            raise ValueError("amount and currency go together")
        if self.type is OutcomeKind.LOST:
            if self.reason is None:
                raise ValueError("a lost outcome needs a reason")
            if self.amount is not None:
                raise ValueError("a lost outcome has no amount")
        elif self.reason is not None:
            raise ValueError("reason is only for lost outcomes")
        return self

    @property
    def cents(self) -> int | None:
        return None if self.amount is None else int(self.amount * 100)


class OutcomeStatus(StrEnum):
    CREATED = "created"
    DUPLICATE = "duplicate"


class OutcomeRefused(Exception):
    """The outcome cannot be stored for this lead; the message says why (a 4xx answer)."""

    def __init__(self, status: int, error: str, message: str) -> None:
        self.status, self.error = status, error
        super().__init__(message)


@dataclass(frozen=True)
class RecordedOutcome:
    outcome: LeadOutcome
    status: OutcomeStatus


# Won and lost contradict each other; a CRM that reopens a deal has to say so in the CRM.
_CONTRADICTS = {OutcomeKind.WON: OutcomeKind.LOST, OutcomeKind.LOST: OutcomeKind.WON}


def as_lead_id(ref: str) -> int | None:
    """`ref` as one of Handoff's lead ids, if it can be one."""
    # isdigit() alone accepts "²" and "٣": only ASCII digits make an id.
    if not (ref.isascii() and ref.isdigit()) or len(ref) > 10:
        return None
    return int(ref) if 0 < int(ref) <= MAX_LEAD_ID else None


async def find_lead(session: AsyncSession, ref: str) -> Lead | None:
    """The lead a CRM means: its external_id first (the CRM's own id), then Handoff's id."""
    statement = select(Lead).where(Lead.external_id == ref).with_for_update()
    lead = (await session.exec(statement)).first()
    lead_id = as_lead_id(ref)
    if lead is None and lead_id is not None:
        by_id = select(Lead).where(Lead.id == lead_id).with_for_update()
        lead = (await session.exec(by_id)).first()
    return lead


async def outcome_of(session: AsyncSession, lead_id: int, kind: str) -> LeadOutcome | None:
    statement = select(LeadOutcome).where(LeadOutcome.lead_id == lead_id, LeadOutcome.kind == kind)
    return (await session.exec(statement)).first()


async def lead_outcomes(session: AsyncSession, lead_id: int) -> list[LeadOutcome]:
    statement = select(LeadOutcome).where(LeadOutcome.lead_id == lead_id).order_by(LeadOutcome.at)
    return list((await session.exec(statement)).all())


async def record_outcome(
    session: AsyncSession, lead: Lead, data: OutcomeIn, *, now: datetime
) -> RecordedOutcome:
    """Store the outcome once and queue its thread reply; a repeat returns the stored one."""
    assert lead.id is not None
    existing = await outcome_of(session, lead.id, data.type)
    if existing is not None:
        return RecordedOutcome(existing, OutcomeStatus.DUPLICATE)
    other = _CONTRADICTS.get(data.type)
    if other is not None and await outcome_of(session, lead.id, other) is not None:
        raise OutcomeRefused(
            409, "conflict", f"This lead is already {other}; it cannot also be {data.type}."
        )
    at = data.at or now
    if at > now + FUTURE_TOLERANCE:
        raise OutcomeRefused(422, "invalid_outcome", "at: is in the future")
    if at < lead.created_at:
        raise OutcomeRefused(422, "invalid_outcome", "at: is before the lead arrived")
    values: dict[str, Any] = {
        "lead_id": lead.id,
        "lead_created_at": lead.created_at,
        "lead_source": lead.source,
        "kind": str(data.type),
        "at": at,
        "amount_cents": data.cents,
        "currency": data.currency.upper() if data.currency else None,
        "reason": data.reason,
        "received_at": now,
    }
    connection = await session.connection()
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    statement = insert(LeadOutcome).values(**values).on_conflict_do_nothing()
    inserted = bool((await session.exec(statement)).rowcount)  # type: ignore[call-overload]
    stored = await outcome_of(session, lead.id, data.type)
    assert stored is not None
    if not inserted:
        return RecordedOutcome(stored, OutcomeStatus.DUPLICATE)
    await enqueue(
        session,
        kind=OutboxKind.OUTCOME_REPLY,
        lead_id=lead.id,
        payload=OutcomeRef(outcome_id=stored.id or 0),
        dedup_key=outcome_reply_key(stored.id or 0),
        now=now,
    )
    return RecordedOutcome(stored, OutcomeStatus.CREATED)
