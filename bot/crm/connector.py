"""What Handoff asks of a CRM, in its own words: one small protocol, one class per vendor.

The poller, the push endpoints, the card check, the write-back deliveries, the
activity sweep and `handoff crm check` talk to a `Connector` and never to a vendor's
client; `bot/crm/hubspot/connector.py` and `bot/crm/salesforce/connector.py` say how
each CRM answers. Every method raises `bot.crm.errors.CrmError` subclasses and never
retries or sleeps on a failure itself; callers decide (`retry_decision`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from pydantic import ValidationError

from storage.lead_input import LeadIn, field_errors

# How many records one page of a pull stores in one transaction.
PAGE_SIZE = 100


@dataclass(frozen=True)
class CrmRecord:
    """One MQL as the CRM has it: a lead to store, or why it cannot be one."""

    id: str
    changed_at: datetime  # what the poll cursor moves to (MQL date, SystemModstamp)
    lead: LeadIn | None
    problem: str | None = None


@dataclass(frozen=True)
class Page:
    """Records of one pull page, oldest change first; `position` is where the cursor may go."""

    records: list[CrmRecord]
    position: datetime


@dataclass(frozen=True)
class Standing:
    """Is the record still an MQL? If not, `why` is what a person reads in the lead's timeline."""

    is_mql: bool
    why: str | None = None


@dataclass(frozen=True)
class Decision:
    """What the CRM record should say after a transition (see bot/crm/writes.py)."""

    values: dict[str, str]  # the configured properties for claim / accept / reject
    owner_id: str | None = None  # the rep's CRM owner or user id, if matched and wanted
    reason: str | None = None  # the rejection reason's label
    comment: str | None = None


@dataclass(frozen=True)
class Note:
    """A note (HubSpot) or completed task (Salesforce) saying who rejected a lead and why."""

    marker: str  # unique per rejection; found again after a crash, so never written twice
    subject: str
    body: str
    at: datetime
    owner_id: str | None = None


@dataclass(frozen=True)
class DealOutcome:
    """A deal or opportunity, as the outcomes of POST /api/leads/{ref}/outcome."""

    kind: str  # opportunity_created, won or lost (storage.feedback_models.OutcomeKind)
    at: datetime
    amount: Decimal | None = None
    currency: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class Activity:
    """What the CRM says about a record's sales activity and deals."""

    first_touch_at: datetime | None
    outcomes: list[DealOutcome] = field(default_factory=list)


@dataclass(frozen=True)
class CheckProblem:
    """Something `handoff crm check` found, with the key or variable that holds it."""

    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.key}: {self.message}"


class Connector(Protocol):
    provider: str
    # How often a lead without a first touch is looked at in its first days: HubSpot
    # only shows the latest activity, so looking often keeps the first one exact;
    # Salesforce keeps every task, so an hourly look finds the first one anyway.
    touch_every: timedelta

    def pages(self, since: datetime) -> AsyncIterator[Page]:
        """Records that became (or still are) MQLs since `since`, oldest first, page by page."""
        ...

    async def fetch(self, record_id: str) -> CrmRecord | None:
        """A pushed record, if it is an MQL now (None: not an MQL, deleted or merged away)."""
        ...

    async def standing(self, record_id: str) -> Standing:
        """Whether the record is still an MQL (for a card about to be posted)."""
        ...

    async def owner_for_email(self, email: str) -> str | None:
        """The active CRM owner (HubSpot) or user (Salesforce) with this address."""
        ...

    async def write(self, record_id: str, decision: Decision) -> None:
        """Set the record's owner, status, reason and comment."""
        ...

    async def add_note(self, record_id: str, note: Note, *, look_first: bool) -> str:
        """Log the note (once: with `look_first`, an earlier one with its marker is reused)."""
        ...

    async def activity(self, records: Sequence[tuple[str, datetime | None]]) -> dict[str, Activity]:
        """For each (record id, card posted at): the first sales activity after the card,
        and the record's deals as outcomes; records the CRM no longer has are left out.
        Up to 100 records, read in a few calls rather than a few per record."""
        ...

    async def check(self, reps: Mapping[str, str]) -> list[CheckProblem]:
        """Credentials, scopes or permissions, configured properties, and reps (Slack user id
        -> e-mail) without an owner."""
        ...

    async def aclose(self) -> None: ...


# --- shared helpers for the vendors' mappings ------------------------------------------


def to_lead(
    record_id: str, values: Mapping[str, Any], field_map: Mapping[str, str], crm_url: str
) -> tuple[LeadIn | None, str | None]:
    """A CRM record's values as a lead, through intake's own validation.

    `field_map` is lead field -> CRM property; values the CRM keeps as text are
    converted where the lead field is a number. Returns the lead, or why it is not one.
    """
    data: dict[str, Any] = {"external_id": record_id, "crm_url": crm_url}
    for lead_field, name in field_map.items():
        value = values.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        data[lead_field] = _number(value) if lead_field in ("employees", "score") else value
    try:
        return LeadIn.model_validate(data), None
    except ValidationError as exc:
        problems = "; ".join(f"{e.field} {e.message}" for e in field_errors(exc))
        return None, f"record {record_id} is not a valid lead: {problems}"


def _number(value: Any) -> Any:
    if isinstance(value, int | float):
        return value
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        return value  # let LeadIn say what is wrong with it
    return int(number) if number == number.to_integral_value() else float(number)


def money(value: Any) -> Decimal | None:
    """A deal amount as a Decimal with two places (None for blank or unreadable)."""
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    except InvalidOperation:
        return None
