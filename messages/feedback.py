"""The shared numbers as Block Kit: /leadfeedback answers and outcome replies.

Builders take figures from bot/feedback/reports.py and return SlackMessages;
numbers are written by messages/figures.py, words and layout live in the templates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.feedback import metrics
from bot.feedback.reports import ReasonsReport, SourcesReport, StatsReport
from bot.settings import TeamConfig
from bot.sla.policy import is_overdue
from messages.block_limits import MAX_BLOCKS_MESSAGE
from messages.definition import fit_line
from messages.figures import (
    NO_FIGURE,
    change,
    change_points,
    duration,
    money,
    percent,
    source_label,
)
from messages.rendering import counted
from messages.routing import why_from_event
from messages.slack_message import SlackMessage
from storage.feedback_models import LeadOutcome
from storage.kinds import EventKind
from storage.models import Lead, LeadEvent

SOURCES_SHOWN = metrics.SOURCES_WITH_DETAIL


# --- /leadfeedback answers ---------------------------------------------------------------


def _funnel_fields(current: metrics.Funnel, previous: metrics.Funnel) -> list[tuple[str, str]]:
    return [
        ("MQLs posted", f"{current.mqls:,}  {change(current.mqls, previous.mqls)}"),
        ("Claimed", f"{current.claimed:,}"),
        ("Accepted as SQL", f"{current.accepted:,}  {change(current.accepted, previous.accepted)}"),
        ("Rejected", f"{current.rejected:,}  {change(current.rejected, previous.rejected)}"),
        ("Still open", f"{current.open:,}"),
        (
            "Acceptance rate",
            f"{percent(current.acceptance_rate)}  "
            f"{change_points(current.acceptance_rate, previous.acceptance_rate)}",
        ),
    ]


def sla_text(funnel: metrics.Funnel, previous: metrics.Funnel | None = None) -> str:
    judged = funnel.sla_met + funnel.sla_breached
    if judged == 0:
        return f"{NO_FIGURE} (no deadline has passed yet)"
    text = f"{percent(funnel.sla_attainment)} ({funnel.sla_met:,} of {judged:,} met)"
    if previous is not None:
        text += f"  {change_points(funnel.sla_attainment, previous.sla_attainment)}"
    return f"{text} · {funnel.sla_breached:,} breached"


def outcome_fields(funnel: metrics.Funnel) -> list[tuple[str, str]]:
    if not funnel.has_outcomes:
        return []
    return [
        ("Opportunities", f"{funnel.opportunities:,}"),
        ("Wins", f"{funnel.wins:,} · win rate {percent(funnel.win_rate)} of accepted"),
        ("Won amount", money(funnel.won)),
        ("Pipeline (opportunities)", money(funnel.pipeline)),
        ("Lost", f"{funnel.lost:,}"),
        ("Lead to customer", f"median {duration(funnel.to_customer_median)}"),
    ]


def first_touch_text(touch: metrics.FirstTouch) -> str:
    """Time to first touch, as the other timings; a dash until the CRM recorded one."""
    if not touch.touched:
        return f"{NO_FIGURE} (no sales activity recorded in the CRM yet)"
    return f"median {duration(touch.median)} · p90 {duration(touch.p90)}"


def stats_message(report: StatsReport, *, crm: bool = False) -> SlackMessage:
    """`crm`: the team has a CRM connected, so time to first touch is shown even before
    the first one is recorded."""
    current, previous = report.current, report.previous
    touch = (
        [("Time to first touch", first_touch_text(report.first_touch))]
        if crm or report.first_touch.touched
        else []
    )
    return SlackMessage.from_template(
        "feedback_stats.json.j2",
        period=report.period,
        source=report.source,
        empty=current.empty,
        previous_mqls=previous.mqls,
        summary=f"{counted(current.mqls, 'MQL')}, {percent(current.acceptance_rate)} accepted",
        funnel=_funnel_fields(current, previous),
        timings=[
            (
                "Time to claim",
                f"median {duration(current.claim_median)} · p90 {duration(current.claim_p90)}",
            ),
            *touch,
            (
                "Time to decision",
                f"median {duration(current.disposition_median)} · "
                f"p90 {duration(current.disposition_p90)}",
            ),
            ("SLA attainment", sla_text(current, previous)),
        ],
        outcomes=outcome_fields(current),
    )


def reasons_message(report: ReasonsReport, team: TeamConfig) -> SlackMessage:
    total = sum(row.count for row in report.reasons)
    return SlackMessage.from_template(
        "feedback_reasons.json.j2",
        period=report.period,
        source=report.source,
        total=total,
        rows=[
            {
                "label": team.reason_label(row.reason),
                "count": row.count,
                "share": percent(row.share),
                "comments": row.comments,
            }
            for row in report.reasons[: MAX_BLOCKS_MESSAGE - 5]
        ],
    )


def source_line(row: metrics.SourceRow, team: TeamConfig) -> dict[str, Any]:
    return {
        "name": source_label(row.source),
        "mqls": row.mqls,
        "rate": percent(row.acceptance_rate),
        "top_reason": team.reason_label(row.top_reason) if row.top_reason_count else None,
        "top_reason_count": row.top_reason_count,
        "response": duration(row.response_median),
        "opportunities": row.opportunities,
        "wins": row.wins,
        "won": money(row.won) if row.won else None,
    }


def sources_message(report: SourcesReport, team: TeamConfig) -> SlackMessage:
    rows = report.sources.rows
    return SlackMessage.from_template(
        "feedback_sources.json.j2",
        period=report.period,
        rows=[source_line(row, team) for row in rows[:SOURCES_SHOWN]],
        more=max(report.sources.total - SOURCES_SHOWN, 0),
        total=report.sources.total,
    )


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    text: str  # plain words; the template escapes them
    actor_id: str | None = None


# Every event kind has its words (tests/test_feedback_messages.py checks that none is missing).
EVENT_WORDS: dict[str, str] = {
    EventKind.POSTED: "Card posted",
    EventKind.CLAIMED: "Claimed",
    EventKind.RELEASED: "Released",
    EventKind.ACCEPTED: "Accepted as SQL",
    EventKind.REJECTED: "Rejected",
    EventKind.NUDGED: "Nudged",
    EventKind.BREACHED: "Missed its deadline",
    EventKind.SLA_RELEASED: "Released by the SLA (nobody decided in time)",
    EventKind.WITHDRAWN: "Withdrawn by the CRM before its card was posted",
    EventKind.FIRST_TOUCH: "First sales activity in the CRM",
    EventKind.REQUALIFIED: "Qualified again in the CRM",
    EventKind.ERASED: "Personal data erased",
    EventKind.OUTBOX_DROPPED: "A Slack post about it was dropped by an operator",
    EventKind.ASSIGNED: "Assigned by the routing rules",
    EventKind.HANDED_OVER: "Handed over",
    EventKind.REASSIGNED: "Reassigned after its deadline passed",
    EventKind.UNROUTED: "Left to Claim: nobody was available to assign it",
    EventKind.RETURNED: "Returned to nurture below the MQL definition, without a card",
    EventKind.SENT_ON: "Sent on to sales by marketing despite missing the MQL definition",
    EventKind.CREDITED_BACK: "Credited back to sales: it missed the MQL definition",
    EventKind.DISPUTE_OPENED: "Rejection disputed by marketing (it met the MQL definition)",
    EventKind.DISPUTE_UPHELD: "Dispute decided: the rejection stands",
    EventKind.DISPUTE_OVERTURNED: "Dispute decided: rejection overturned, the lead is back",
}


def timeline(
    lead: Lead, events: Sequence[LeadEvent], outcomes: Sequence[LeadOutcome], team: TeamConfig
) -> list[TimelineEntry]:
    """What happened to a lead, oldest first: its arrival, its events, its CRM outcomes."""
    entries = [TimelineEntry(lead.created_at, f"Arrived from {source_label(lead.source)}")]
    for event in events:
        words = EVENT_WORDS.get(event.kind, event.kind.replace("_", " ").capitalize())
        if event.kind == EventKind.REJECTED:
            words += f": {team.reason_label((event.detail or {}).get('reason'))}"
            if (event.detail or {}).get("comment"):
                words += f" ({event.detail['comment']})"
        if event.kind == EventKind.WITHDRAWN and (event.detail or {}).get("why"):
            words += f": {event.detail['why']}"
        if event.kind in ROUTING_EVENTS:
            words += routing_words(event.detail or {})
        entries.append(TimelineEntry(_event_time(event), words, event.actor_id))
    for outcome in outcomes:
        entries.append(TimelineEntry(outcome.at, outcome_words(outcome)))
    return sorted(entries, key=lambda e: e.at)


ROUTING_EVENTS = (
    EventKind.ASSIGNED,
    EventKind.HANDED_OVER,
    EventKind.REASSIGNED,
    EventKind.UNROUTED,
)


def routing_words(detail: dict[str, Any]) -> str:
    """Why this rep: to whom, and the rule, pool, tier and skipped members (routing)."""
    words = f" to {detail['assignee_id']}" if detail.get("assignee_id") else ""
    if detail.get("previous_id"):
        words += f" (from {detail['previous_id']})"
    why = why_from_event(detail)
    if detail.get("kind") == "handed_over" and detail.get("note"):
        why = f"{why}: {detail['note']}"
    return f"{words}: {why}" if why else words


def _event_time(event: LeadEvent) -> datetime:
    """When it happened: a first touch is stored when seen, but happened at detail["at"]."""
    if event.kind == EventKind.FIRST_TOUCH and (event.detail or {}).get("at"):
        try:
            return datetime.fromisoformat(str(event.detail["at"]))
        except ValueError:
            pass
    return event.at


def outcome_words(outcome: LeadOutcome) -> str:
    amount = (
        money({outcome.currency: outcome.amount_cents})
        if outcome.currency and outcome.amount_cents is not None
        else None
    )
    if outcome.kind == "won":
        return f"Won in the CRM: {amount}"
    if outcome.kind == "lost":
        return f"Lost in the CRM: {outcome.reason}"
    return "Opportunity created in the CRM" + (f": {amount}" if amount else "")


def lead_message(
    lead: Lead,
    entries: Sequence[TimelineEntry],
    *,
    permalink: str | None,
    others: Sequence[int],
    team: TeamConfig,
    now: datetime,
) -> SlackMessage:
    return SlackMessage.from_template(
        "feedback_lead.json.j2",
        lead=lead,
        entries=list(entries)[-30:],
        hidden=max(len(entries) - 30, 0),
        permalink=permalink,
        others=list(others)[:10],
        reason=team.reason_label(lead.rejection_reason) if lead.rejection_reason else None,
        overdue=is_overdue(lead, now),
        fit_line=fit_line(lead.fit),
    )


def mine_message(
    leads: Sequence[Lead], permalinks: Mapping[int, str | None], *, total: int, now: datetime
) -> SlackMessage:
    return SlackMessage.from_template(
        "feedback_mine.json.j2",
        leads=[
            {
                "lead": lead,
                "url": permalinks.get(lead.id or 0),
                "overdue": is_overdue(lead, now),
            }
            for lead in leads
        ],
        more=max(total - len(leads), 0),
    )


def export_sent_message(filename: str, count: int, label: str, timezone: str) -> SlackMessage:
    return SlackMessage.from_template(
        "feedback_export_sent.json.j2",
        filename=filename,
        count=count,
        label=label,
        timezone=timezone,
    )


def outcome_reply(lead: Lead, outcome: LeadOutcome) -> SlackMessage:
    days = (outcome.at - lead.created_at).total_seconds()
    return SlackMessage.from_template(
        "outcome_reply.json.j2",
        kind=outcome.kind,
        words=outcome_words(outcome),
        after=duration(days) if outcome.kind == "won" else None,
    )
