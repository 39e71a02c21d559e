"""Changes out: the lead's owner and status to its CRM record, and the note on a rejection.

A transition queues a CRM_WRITE row in its own transaction (storage/transitions.py).
The delivery writes what the lead *is* when it runs, not what the transition was, so
rows delivered late or out of order (a 429 on the claim's write, then the accept's)
never put an older state over a newer one; a row whose lead has moved on since is
marked sent without a call, and the newer row writes. Each row writes once: a retry
happens only when the CRM did not take the write.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.crm.connector import Decision, Note
from bot.crm.errors import CrmError, CrmNotFound, retry_decision
from bot.crm.owners import crm_owner
from bot.crm.service import Crm
from bot.runtime.deliveries import DeliveryContext, Drop, Failed, Outcome, Sent
from storage.crm import latest_write_event, link_of
from storage.crm_models import CrmLink
from storage.events import lead_and_event
from storage.kinds import EventKind, EventRef, read_payload
from storage.models import Lead, LeadState, OutboxMessage

logger = logging.getLogger(__name__)


def failure(error: CrmError, attempts: int) -> Outcome:
    """How a CRM error becomes an outbox outcome.

    Rate limits wait exactly the Retry-After; outages back off; what a person must fix
    (a missing property or permission, a refused token) is retried slowly and shown in
    /healthz, never dropped. Only a record the CRM no longer has is dropped: no retry
    can write to it.
    """
    if isinstance(error, CrmNotFound):
        return Drop(f"the CRM record is gone: {error.describe()}")
    decision = retry_decision(error, max(attempts, 1))
    if decision.retry:
        return Failed(error.describe(), retry_in=timedelta(seconds=max(decision.delay, 1.0)))
    return Failed(error.describe(), permanent=True)


async def _lead_and_link(
    ctx: DeliveryContext, message: OutboxMessage
) -> tuple[Lead | None, CrmLink | None, int | None]:
    async with ctx.db.session() as session:
        lead = await session.get(Lead, message.lead_id) if message.lead_id else None
        if lead is None:
            return None, None, None
        return (
            lead,
            await link_of(session, lead.id or 0),
            await latest_write_event(session, lead.id or 0),
        )


async def decide(crm: Crm, client: AsyncWebClient, lead: Lead) -> Decision | None:
    """What the record should say for the lead as it is now (None: nothing to write)."""
    if lead.state in (LeadState.CLAIMED, LeadState.ACCEPTED):
        step = "claim" if lead.state == LeadState.CLAIMED else "accept"
        owner = await crm_owner(crm, client, lead.owner_id) if lead.owner_id else None
        return Decision(crm.write_values(step), owner_id=owner)
    if lead.state == LeadState.REJECTED:
        reason = crm.settings.team.reason(lead.rejection_reason or "")
        label = reason.label if reason else lead.rejection_reason
        return Decision(
            crm.write_values("reject"), reason=label or "", comment=lead.rejection_comment
        )
    # Open (released) or withdrawn: the CRM keeps what it has; the next claim writes.
    return None


async def deliver_write(crm: Crm, ctx: DeliveryContext, message: OutboxMessage) -> Outcome:
    event_id = read_payload(EventRef, message.payload).event_id
    lead, link, latest = await _lead_and_link(ctx, message)
    if lead is None or link is None:
        return Drop("the lead or its CRM link no longer exists")
    if link.provider != crm.provider:
        return Drop(f"the lead came from {link.provider}; crm.provider is now {crm.provider}")
    if latest is not None and latest > event_id:
        return Sent({"superseded_by_event": latest})
    try:
        decision = await decide(crm, ctx.client, lead)
        if decision is None:
            return Sent({"skipped": f"lead is {lead.state}"})
        await crm.connector.write(link.record_id, decision)
    except CrmError as exc:
        return failure(exc, message.attempts)
    return Sent({"record": link.record_id, "state": lead.state, "owner": decision.owner_id})


async def _display_name(client: AsyncWebClient, user_id: str) -> str:
    try:
        user = (await client.users_info(user=user_id)).get("user") or {}
    except SlackApiError:
        return user_id  # the note is still worth writing without the name
    profile = user.get("profile") or {}
    return str(profile.get("real_name") or user.get("real_name") or user.get("name") or user_id)


def note_marker(event_id: int) -> str:
    return f"handoff-rejection-{event_id}"


async def deliver_note(crm: Crm, ctx: DeliveryContext, message: OutboxMessage) -> Outcome:
    event_id = read_payload(EventRef, message.payload).event_id
    async with ctx.db.session() as session:
        lead, event = await lead_and_event(session, message.lead_id, event_id)
        link = await link_of(session, message.lead_id or 0)
    if lead is None or event is None or link is None or event.kind != EventKind.REJECTED:
        return Drop("the rejection, its lead or its CRM link no longer exists")
    if link.provider != crm.provider:
        return Drop(f"the lead came from {link.provider}; crm.provider is now {crm.provider}")
    if not crm.notes_enabled:
        return Sent({"skipped": "notes are switched off in crm.*.write_back"})
    reason_id = str(event.detail.get("reason") or "")
    reason = crm.settings.team.reason(reason_id)
    label = reason.label if reason else reason_id
    comment = event.detail.get("comment")
    actor = event.actor_id or ""
    lines = [
        f"{await _display_name(ctx.client, actor)} rejected this lead in Slack "
        "and returned it to marketing for nurture.",
        f"Reason: {label}",
    ]
    if comment:
        lines.append(f"Comment: {comment}")
    try:
        owner = await crm_owner(crm, ctx.client, actor) if actor else None
        note = Note(note_marker(event_id), f"Rejected: {label}", "\n".join(lines), event.at, owner)
        # Only a retry can find a note of its own: the first attempt skips the lookup.
        note_id = await crm.connector.add_note(
            link.record_id, note, look_first=message.attempts > 1
        )
    except CrmError as exc:
        return failure(exc, message.attempts)
    return Sent({"record": link.record_id, "note": note_id})
