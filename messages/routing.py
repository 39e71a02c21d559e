"""Routing's messages: the assignee's DM, the hand-over modal, "why this rep", away answers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.timekeeping.durations import format_duration
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
    return why_text(
        kind=record.kind,
        rule_index=record.rule_index,
        pool=record.pool_id,
        tier=record.tier,
        skipped=record.skipped,
        note=record.note,
    )


def why_from_event(detail: dict[str, Any]) -> str:
    """The same line from a routing event's detail (storage/routing.py `_detail`)."""
    return why_text(
        kind=str(detail.get("kind") or ""),
        rule_index=detail.get("rule"),
        pool=detail.get("pool"),
        tier=detail.get("tier"),
        skipped=detail.get("skipped") or {},
        note=detail.get("note"),
    )


def why_text(
    *,
    kind: str,
    rule_index: int | None,
    pool: str | None,
    tier: str | None,
    skipped: dict[str, Any],
    note: str | None,
) -> str:
    parts = [KIND_WORDS.get(kind, kind)] if kind else []
    if rule_index is not None:
        parts.append(f"rule {rule_index + 1}")
    if pool:
        parts.append(f"pool {pool}")
    if tier:
        parts.append(f"tier {tier}")
    if skipped:
        names = ", ".join(
            f"{user} ({SKIP_WORDS.get(str(reason), str(reason))})"
            for user, reason in skipped.items()
        )
        parts.append(f"skipped: {names}")
    if note and kind != "handed_over":
        parts.append(note)
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


MAX_REP_ROWS = 40


def reps_message(rows: list[Any], label: str) -> SlackMessage:
    """`/leadfeedback reps`: rows are bot.feedback.metrics.reps.RepRow."""
    shown = rows[:MAX_REP_ROWS]
    durations = {
        row.user_id: (
            format_duration(timedelta(seconds=round(row.median_decision_seconds)))
            if row.median_decision_seconds is not None
            else "-"
        )
        for row in shown
    }
    return SlackMessage.from_template(
        "feedback_reps.json.j2",
        rows=shown,
        more=len(rows) - len(shown),
        label=label,
        durations=durations,
    )


def fairness_blocks(rows: list[Any]) -> list[dict[str, Any]]:
    """The digest's fairness line: how evenly routing spread the week's leads."""
    given = [row for row in rows if row.assigned]
    if not given:
        return []
    return render(
        "digest_fairness.json.j2",
        total=sum(row.assigned for row in given),
        reps=len(given),
        most=max(given, key=lambda r: r.assigned),
        fewest=min(given, key=lambda r: r.assigned),
        breached=sum(row.breached for row in rows),
        handed=sum(row.handed_over for row in rows),
    )["blocks"]


MAX_HOME_LEADS = 20


def app_home(
    *,
    rep: bool,
    leads: list[Any],
    now: Any,
    away: bool,
    away_until: Any,
    numbers: dict[str, Any] | None,
) -> dict[str, Any]:
    """A person's App Home tab: `leads` are their open Lead rows, soonest deadline first."""
    shown = leads[:MAX_HOME_LEADS]
    items = [
        {
            "lead": lead,
            "ref": Mrkdwn(LeadRef(lead_id=lead.id or 0).dump()),
            "left": _left(lead.due_at, now),
        }
        for lead in shown
    ]
    return render(
        "app_home.json.j2",
        rep=rep,
        leads=items,
        more=len(leads) - len(shown),
        away=away,
        away_until=away_until,
        numbers=numbers,
        ActionId=ActionId,
    )


def _left(due_at: Any, now: Any) -> str | None:
    if due_at is None or due_at <= now:
        return None
    minutes = max(1, int((due_at - now).total_seconds() // 60))
    return format_duration(timedelta(minutes=minutes))
