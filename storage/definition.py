"""The MQL definition at intake: each new lead's fit stored with the version it was graded by.

Grading itself is a rule of bot/definition/ (storage never imports bot/); intake
passes it in as a `Grading`, so the API, imports and the CRM, which all store
leads through `storage.leads.ingest_leads`, grade every lead the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.crm import insert_for
from storage.definition_models import DefinitionCriterion
from storage.events import record_event
from storage.kinds import EventKind, OutboxKind, definition_review_key
from storage.lead_input import LeadIn
from storage.models import Lead, LeadState
from storage.outbox import Work


@dataclass(frozen=True)
class Fit:
    """One lead's grade, as stored: what the card, the export and the API answer show."""

    version: str
    missed: int  # bit i: the version's criterion at position i was missed
    met: int
    total: int
    misses: tuple[tuple[str, str], ...]  # (id, label) of each missed criterion

    def as_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "met": self.met,
            "total": self.total,
            "misses": [list(miss) for miss in self.misses],
        }


class OnMiss(StrEnum):
    FLAG = "flag"  # post the card, misses shown
    REVIEW = "review"  # a marketer sends it on or returns it first
    RETURN = "return"  # no card: back to nurture, below the definition


@dataclass(frozen=True)
class CriterionRow:
    criterion_id: str
    label: str
    test: dict[str, Any]


@dataclass(frozen=True)
class Grading:
    version: str
    criteria: Sequence[CriterionRow]
    on_miss: OnMiss
    grade: Callable[[LeadIn], Fit]


class Fate(StrEnum):
    CARD = "card"
    REVIEW = "review"
    RETURNED = "returned"


def grade_new_row(grading: Grading | None, lead: LeadIn, row: dict[str, Any], cards: bool) -> Fate:
    """Store the fit on a new lead's row; what becomes of it (a card unless it missed)."""
    if grading is None:
        return Fate.CARD
    fit = grading.grade(lead)
    row.update(fit_version=fit.version, fit_missed=fit.missed, fit=fit.as_json())
    if not cards or not fit.missed or grading.on_miss is OnMiss.FLAG:
        return Fate.CARD
    if grading.on_miss is OnMiss.RETURN:
        row.update(state=LeadState.RETURNED)
        return Fate.RETURNED
    row.update(review_state="pending")
    return Fate.REVIEW


async def ensure_version(session: AsyncSession, grading: Grading | None, *, now: datetime) -> None:
    """The version's criteria by position, stored once (the quality figures join on them)."""
    if grading is None or not grading.criteria:
        return
    known = await session.exec(
        select(DefinitionCriterion.position).where(DefinitionCriterion.version == grading.version)
    )
    if known.first() is not None:
        return
    insert = await insert_for(session)
    rows = [
        {
            "version": grading.version,
            "position": position,
            "criterion_id": row.criterion_id,
            "label": row.label,
            "test": row.test,
            "created_at": now,
        }
        for position, row in enumerate(grading.criteria)
    ]
    await session.exec(insert(DefinitionCriterion).values(rows).on_conflict_do_nothing())


async def after_grading(
    session: AsyncSession, fates: list[tuple[int, Fate]], *, now: datetime
) -> list[Work]:
    """Record each returned lead's event; the review posts owed for the others."""
    work: list[Work] = []
    for lead_id, fate in fates:
        if fate is Fate.RETURNED:
            await record_event(
                session,
                lead_id=lead_id,
                kind=EventKind.RETURNED,
                at=now,
                from_state=LeadState.OPEN,
                to_state=LeadState.RETURNED,
                detail={"why": "below the definition", "by": "on_miss"},
            )
        elif fate is Fate.REVIEW:
            work.append(
                Work(
                    OutboxKind.DEFINITION_REVIEW_LEAD,
                    lead_id=lead_id,
                    dedup_key=definition_review_key(lead_id),
                )
            )
    return work


async def stored_fits(session: AsyncSession, lead_ids: list[int]) -> dict[int, dict[str, Any]]:
    """The stored fit of each lead that has one."""
    if not lead_ids:
        return {}
    rows = await session.exec(
        select(Lead.id, Lead.fit).where(col(Lead.id).in_(sorted(set(lead_ids))))
    )
    return {lead_id: fit for lead_id, fit in rows.all() if lead_id is not None and fit}
