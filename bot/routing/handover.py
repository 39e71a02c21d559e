"""Hand over: the assignee (or a manager, `routing.managers`) gives an assigned lead to a
colleague with a note. The deadline stays; the thread records who handed it to whom and why."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Lead, LeadState
from storage.routing import AssignmentKind, Decision, HandOverRefused, LeadMoved, move_lead
from storage.routing_models import Assignment

if TYPE_CHECKING:
    from bot.runtime.services import Services

MAX_NOTE = 1000


@dataclass(frozen=True)
class HandOverForm:
    to_id: str | None
    note: str | None


async def may_hand_over(services: Services, user_id: str) -> bool:
    """A sales manager may hand over any assigned lead."""
    return await services.directory.includes(services.settings.team.routing.managers, user_id)


async def check_hand_over(
    session: AsyncSession, *, lead_id: int, user_id: str, manager: bool
) -> Lead:
    """The lead, if `user_id` may hand it over now; else the refusal that says why."""
    lead = await session.get(Lead, lead_id, populate_existing=True)
    if lead is None:
        raise LeadMoved(None)
    why = None
    if lead.state != LeadState.CLAIMED or lead.routing != "assigned":
        why = "not_assigned"
    elif lead.owner_id != user_id and not manager:
        why = "not_yours"
    if why is not None:
        # Detached as loaded, so the answer can still read it after the rollback.
        session.expunge(lead)
        raise HandOverRefused(why, lead)
    return lead


async def current_owner(services: Services, lead_id: int) -> str | None:
    async with services.db.session() as session:
        lead = await session.get(Lead, lead_id)
    return lead.owner_id if lead else None


async def form_problems(
    services: Services, form: HandOverForm, owner_id: str | None
) -> dict[str, str]:
    """Field errors of the modal, keyed "to" and "note"."""
    problems: dict[str, str] = {}
    note = (form.note or "").strip()
    if not note:
        problems["note"] = "Say why, so your colleague knows what to do with it."
    elif len(note) > MAX_NOTE:
        problems["note"] = f"Keep it under {MAX_NOTE} characters."
    if not form.to_id:
        problems["to"] = "Pick the colleague who should take it."
    elif form.to_id == owner_id:
        problems["to"] = "It is theirs already; pick someone else."
    else:
        person = await services.directory.person(form.to_id)
        if person is None or person.get("deleted"):
            problems["to"] = "That person's account is deactivated; pick someone else."
        elif person.get("is_bot"):
            problems["to"] = "A bot can't work a lead; pick a colleague."
    return problems


async def hand_over(
    services: Services, *, lead_id: int, actor_id: str, to_id: str, note: str
) -> Assignment:
    """Move the lead to `to_id` in one conditional UPDATE; a refusal if it moved meanwhile."""
    manager = await may_hand_over(services, actor_id)
    now = services.clock.now()
    async with services.db.session() as session:
        lead = await check_hand_over(session, lead_id=lead_id, user_id=actor_id, manager=manager)
        decision = Decision(
            kind=AssignmentKind.HANDED_OVER,
            assignee_id=to_id,
            tier=lead.routing_tier,
            candidates=[to_id],
            previous_id=lead.owner_id,
            actor_id=actor_id,
            note=note.strip(),
        )
        record, _ = await move_lead(session, lead=lead, decision=decision, now=now)
    services.outbox.wake()
    return record
