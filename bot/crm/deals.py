"""From a record's deals or opportunities to the outcomes Handoff stores (one per kind).

Both vendors describe a deal with the same few facts; this is where they become
`opportunity_created`, `won` and `lost`, with the rules of
POST /api/leads/{ref}/outcome: the first deal is the opportunity; a won deal makes
the lead won (the first one, with its amount); the lead is lost only when every deal
is closed and none was won, since a lead with one lost and one open deal can still buy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from bot.crm.connector import DealOutcome
from storage.feedback_models import OutcomeKind

LOST_WITHOUT_REASON = "closed lost"


@dataclass(frozen=True)
class DealFacts:
    created_at: datetime
    amount: Decimal | None
    currency: str | None
    closed: bool
    won: bool
    closed_at: datetime | None
    lost_reason: str | None = None


def deal_outcomes(deals: Sequence[DealFacts], *, default_currency: str) -> list[DealOutcome]:
    """The outcomes these deals stand for, oldest deal first."""
    if not deals:
        return []
    ordered = sorted(deals, key=lambda d: d.created_at)
    first = ordered[0]
    outcomes = [
        DealOutcome(
            OutcomeKind.OPPORTUNITY,
            first.created_at,
            first.amount,
            (first.currency or default_currency) if first.amount is not None else None,
        )
    ]
    won = next((d for d in ordered if d.won), None)
    if won is not None:
        outcomes.append(
            DealOutcome(
                OutcomeKind.WON,
                won.closed_at or won.created_at,
                won.amount if won.amount is not None else Decimal("0.00"),
                won.currency or default_currency,
            )
        )
    elif all(d.closed for d in ordered):
        last = max(ordered, key=lambda d: d.closed_at or d.created_at)
        reason = (last.lost_reason or "").strip()[:500] or LOST_WITHOUT_REASON
        outcomes.append(
            DealOutcome(OutcomeKind.LOST, last.closed_at or last.created_at, reason=reason)
        )
    return outcomes
