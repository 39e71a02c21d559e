"""Routing's messages: the assignee's DM, the hand-over modal, "why this rep", away answers."""

from __future__ import annotations

from typing import Any

from messages.ids import ActionId, BlockId, CallbackId
from messages.metadata import HandOverMetadata, LeadRef
from messages.rendering import Mrkdwn, render
from messages.slack_message import SlackMessage
from storage.models import Lead
from storage.routing_models import Assignment

SKIP_WORDS = {
    "away": "away",
    "cap": "at their cap",
    "hours": "outside working hours",
    "status": "out-of-office status",
    "deactivated": "deactivated",
    "had_it": "had this lead already",
}
KIND_WORDS = {
    "assigned": "next in the pool's rotation",
    "sticky": "owns another open or recently accepted lead of this account",
    "fallback": "the pool's fallback: nobody in the pool was available",
    "unrouted": "nobody was available: left to Claim",
    "handed_over": "handed over",
    "reassigned": "moved on after a missed deadline",
}


def why_line(record: Assignment) -> str:
    """One line of plain text: why this rep (or nobody), and who was skipped and why."""
    parts = [KIND_WORDS.get(record.kind, record.kind)]
    if record.rule_index is not None:
        parts.append(f"rule {record.rule_index + 1}")
    if record.pool_id:
        parts.append(f"pool {record.pool_id}")
    if record.tier:
        parts.append(f"tier {record.tier}")
    if record.skipped:
        skipped = ", ".join(
            f"{user} ({SKIP_WORDS.get(str(reason), str(reason))})"
            for user, reason in record.skipped.items()
        )
        parts.append(f"skipped: {skipped}")
    if record.note and record.kind not in ("handed_over",):
        parts.append(record.note)
    return "; ".join(parts)


def assignment_dm(lead: Lead, record: Assignment, permalink: str | None) -> SlackMessage:
    return SlackMessage.from_template(
        "routing_dm.json.j2",
        lead=lead,
        permalink=permalink,
        handed_by=record.actor_id if record.kind == "handed_over" else None,
        moved_from=record.previous_id if record.kind == "reassigned" else None,
        note=record.note if record.kind == "handed_over" else None,
        why="Why you: " + why_line(record),
        ref=Mrkdwn(LeadRef(lead_id=lead.id or 0).dump()),
        ActionId=ActionId,
        BlockId=BlockId,
    )


def hand_over_modal(metadata: HandOverMetadata, lead: Lead | None = None) -> dict[str, Any]:
    return render(
        "hand_over_modal.json.j2",
        lead=lead,
        metadata=Mrkdwn(metadata.dump()),
        ActionId=ActionId,
        BlockId=BlockId,
        CallbackId=CallbackId,
    )


def hand_over_closed_modal(line: Mrkdwn) -> dict[str, Any]:
    """Replaces the form when this person can't hand the lead over (any more)."""
    return render("hand_over_closed_modal.json.j2", line=line, CallbackId=CallbackId)


def breach_notice(lead: Lead, record: Assignment, permalink: str | None) -> SlackMessage:
    return SlackMessage.from_template(
        "routing_breach_notice.json.j2", lead=lead, record=record, permalink=permalink
    )
