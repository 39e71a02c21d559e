"""The shared numbers as Block Kit: /leadfeedback answers, the weekly digest, outcome replies.

Builders take figures from bot/feedback/reports.py and return SlackMessages; numbers
are formatted here (every figure a person sees is formatted by one of the
helpers below), words and layout live in the templates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.feedback import metrics
from bot.feedback.reports import DigestReport, ReasonsReport, SourcesReport, StatsReport
from bot.settings import TeamConfig
from bot.sla.policy import is_overdue
from messages.block_limits import MAX_BLOCKS_MESSAGE
from messages.slack_message import SlackMessage
from storage.feedback_models import LeadOutcome
from storage.models import Lead, LeadEvent

NO_FIGURE = "\u2013"  # an en dash: "no figure", never a misleading 0%
MINUS = "\u2212"
UP, DOWN = "\u25b2", "\u25bc"
SOURCES_SHOWN = metrics.SOURCES_WITH_DETAIL
DIGEST_RANKED = 5


# --- formatting --------------------------------------------------------------------------


def percent(value: float | None) -> str:
    return NO_FIGURE if value is None else f"{value * 100:.0f}%"


def duration(seconds: float | None) -> str:
    """3h 20m, 2d 4h, 45m, under a minute; a dash when there is no value."""
    if seconds is None:
        return NO_FIGURE
    minutes = int(max(seconds, 0) / 60 + 0.5)  # to the nearest minute
    if minutes < 1:
        return "<1m"
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    return f"{minutes}m"


def money(cents_by_currency: Mapping[str, int]) -> str:
    """EUR 12,000 · USD 950.50, largest first; a dash for none."""
    if not cents_by_currency:
        return NO_FIGURE
    parts = []
    for currency, cents in sorted(cents_by_currency.items(), key=lambda item: (-item[1], item[0])):
        whole, fraction = divmod(cents, 100)
        amount = f"{whole:,}" if fraction == 0 else f"{whole:,}.{fraction:02d}"
        parts.append(f"{currency} {amount}")
    return " · ".join(parts)


def change(current: int, previous: int) -> str:
    """▲ 15 (+14%) against the previous period; "new" when it had none."""
    diff = current - previous
    if diff == 0:
        return "= no change"
    arrow = UP if diff > 0 else DOWN
    sign = "+" if diff > 0 else MINUS
    if previous == 0:
        return f"{arrow} {sign}{abs(diff):,} (none before)"
    return f"{arrow} {sign}{abs(diff):,} ({sign}{abs(diff) / previous * 100:.0f}%)"


def change_points(current: float | None, previous: float | None) -> str:
    """+5 pts against the previous rate; empty when either has no rate."""
    if current is None or previous is None:
        return ""
    points = round((current - previous) * 100)
    if points == 0:
        return "= no change"
    return f"{UP if points > 0 else DOWN} {'+' if points > 0 else MINUS}{abs(points)} pts"


def reason_label(team: TeamConfig, reason_id: str | None) -> str:
    if reason_id is None:
        return "(no reason recorded)"
    reason = team.reason(reason_id)
    return reason.label if reason else reason_id


def source_label(source: str | None) -> str:
    return source if source else "(no source)"


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


def _sla_text(funnel: metrics.Funnel, previous: metrics.Funnel | None = None) -> str:
    judged = funnel.sla_met + funnel.sla_breached
    if judged == 0:
        return f"{NO_FIGURE} (no deadline has passed yet)"
    text = f"{percent(funnel.sla_attainment)} ({funnel.sla_met:,} of {judged:,} met)"
    if previous is not None:
        text += f"  {change_points(funnel.sla_attainment, previous.sla_attainment)}"
    return f"{text} · {funnel.sla_breached:,} breached"


def _outcome_fields(funnel: metrics.Funnel) -> list[tuple[str, str]]:
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
        summary=f"{current.mqls:,} MQLs, {percent(current.acceptance_rate)} accepted",
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
            ("SLA attainment", _sla_text(current, previous)),
        ],
        outcomes=_outcome_fields(current),
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
                "label": reason_label(team, row.reason),
                "count": row.count,
                "share": percent(row.share),
                "comments": row.comments,
            }
            for row in report.reasons[: MAX_BLOCKS_MESSAGE - 5]
        ],
    )


def _source_line(row: metrics.SourceRow, team: TeamConfig) -> dict[str, Any]:
    return {
        "name": source_label(row.source),
        "mqls": row.mqls,
        "rate": percent(row.acceptance_rate),
        "top_reason": reason_label(team, row.top_reason) if row.top_reason_count else None,
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
        rows=[_source_line(row, team) for row in rows[:SOURCES_SHOWN]],
        more=max(report.sources.total - SOURCES_SHOWN, 0),
        total=report.sources.total,
    )


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    text: str  # plain words; the template escapes them
    actor_id: str | None = None


EVENT_WORDS = {
    "posted": "Card posted",
    "claimed": "Claimed",
    "released": "Released",
    "accepted": "Accepted as SQL",
    "rejected": "Rejected",
    "nudged": "Nudged",
    "breached": "Missed its deadline",
    "reassigned": "Reassigned",
    "escalated": "Escalated",
    "withdrawn": "Withdrawn by the CRM before its card was posted",
    "first_touch": "First sales activity in the CRM",
}


def timeline(
    lead: Lead, events: Sequence[LeadEvent], outcomes: Sequence[LeadOutcome], team: TeamConfig
) -> list[TimelineEntry]:
    """What happened to a lead, oldest first: its arrival, its events, its CRM outcomes."""
    entries = [TimelineEntry(lead.created_at, f"Arrived from {source_label(lead.source)}")]
    for event in events:
        words = EVENT_WORDS.get(event.kind, event.kind.replace("_", " ").capitalize())
        if event.kind == "rejected":
            words += f": {reason_label(team, (event.detail or {}).get('reason'))}"
            if (event.detail or {}).get("comment"):
                words += f" ({event.detail['comment']})"
        if event.kind == "withdrawn" and (event.detail or {}).get("why"):
            words += f": {event.detail['why']}"
        entries.append(TimelineEntry(_event_time(event), words, event.actor_id))
    for outcome in outcomes:
        entries.append(TimelineEntry(outcome.at, outcome_words(outcome)))
    return sorted(entries, key=lambda e: e.at)


def _event_time(event: LeadEvent) -> datetime:
    """When it happened: a first touch is stored when seen, but happened at detail["at"]."""
    if event.kind == "first_touch" and (event.detail or {}).get("at"):
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
        reason=reason_label(team, lead.rejection_reason) if lead.rejection_reason else None,
        overdue=is_overdue(lead, now),
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


# --- the weekly digest -------------------------------------------------------------------


def digest_main(report: DigestReport, team: TeamConfig) -> SlackMessage:
    """The digest's channel message: the key numbers first, readable on a phone."""
    current, previous = report.current, report.previous
    top_reason = report.reasons[0] if report.reasons else None
    best = report.by_acceptance[0] if report.by_acceptance else None
    return SlackMessage.from_template(
        "digest_main.json.j2",
        week=report.week,
        timezone=team.timezone,
        empty=current.empty,
        previous_empty=previous.empty,
        summary=f"{current.mqls:,} MQLs, {percent(current.acceptance_rate)} accepted",
        fields=[
            ("MQLs", f"{current.mqls:,}  {change(current.mqls, previous.mqls)}"),
            (
                "Accepted as SQL",
                f"{current.accepted:,} · {percent(current.acceptance_rate)}  "
                f"{change_points(current.acceptance_rate, previous.acceptance_rate)}",
            ),
            ("Rejected", f"{current.rejected:,}"),
            ("Still open", f"{current.open:,}"),
            ("SLA attainment", _sla_text(current, previous)),
            ("Won", money(current.won) if current.wins else NO_FIGURE),
        ],
        top_reason=(
            {"label": reason_label(team, top_reason.reason), "share": percent(top_reason.share)}
            if top_reason
            else None
        ),
        best_source=(
            {"name": source_label(best.source), "rate": percent(best.acceptance_rate)}
            if best
            else None
        ),
        overdue=report.overdue.total,
    )


def digest_details(
    report: DigestReport,
    team: TeamConfig,
    *,
    permalinks: Mapping[int, str | None],
    sections: Sequence[dict[str, Any]] = (),
) -> SlackMessage:
    """The digest's thread reply: the details, then other features' sections."""
    current, currency = report.current, report.currency
    details = SlackMessage.from_template(
        "digest_details.json.j2",
        week=report.week,
        empty=current.empty,
        timings=[
            f"time to claim: median {duration(current.claim_median)}, "
            f"p90 {duration(current.claim_p90)}",
            *(
                [f"time to first touch: {first_touch_text(report.first_touch)}"]
                if team.crm.enabled or report.first_touch.touched
                else []
            ),
            f"time to decision: median {duration(current.disposition_median)}, "
            f"p90 {duration(current.disposition_p90)}",
        ],
        sla=_sla_text(current),
        breaches=_lead_lines(report.breaches.leads, permalinks),
        breaches_total=report.breaches.total,
        reasons=[
            {
                "label": reason_label(team, row.reason),
                "count": row.count,
                "share": percent(row.share),
                "comment": row.comments[0].text if row.comments else None,
            }
            for row in report.reasons[:DIGEST_RANKED]
        ],
        by_acceptance=[_source_line(r, team) for r in report.by_acceptance[:DIGEST_RANKED]],
        by_won=[
            {"name": source_label(r.source), "won": money(r.won)}
            for r in (report.by_won[:DIGEST_RANKED] if currency else [])
        ],
        currency=currency,
        outcomes=_outcome_fields(current),
        overdue=_lead_lines(report.overdue.leads, permalinks),
        overdue_total=report.overdue.total,
    )
    if not sections:
        return details
    room = MAX_BLOCKS_MESSAGE - len(details.blocks)
    extra = list(sections)
    if len(extra) > room:
        extra = [*extra[: room - 1], _context("More sections did not fit in this message.")]
    return SlackMessage(text=details.text, blocks=[*details.blocks, *extra])


def _lead_lines(
    leads: Sequence[Lead], permalinks: Mapping[int, str | None]
) -> list[dict[str, Any]]:
    return [{"lead": lead, "url": permalinks.get(lead.id or 0)} for lead in leads]


def _context(fixed_text: str) -> dict[str, Any]:
    """A context block of text this module wrote (nothing from users)."""
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": fixed_text}]}


def digest_preview(main: SlackMessage, details: SlackMessage) -> SlackMessage:
    """Both parts in one private message (the chart comes only with the posted digest)."""
    note = _context(":eyes: Preview, only you can see this. `/leadfeedback digest post` posts it.")
    blocks = [note, *main.blocks, {"type": "divider"}, *details.blocks]
    return SlackMessage(text=main.text, blocks=blocks[:MAX_BLOCKS_MESSAGE])


def outcome_reply(lead: Lead, outcome: LeadOutcome) -> SlackMessage:
    days = (outcome.at - lead.created_at).total_seconds()
    return SlackMessage.from_template(
        "outcome_reply.json.j2",
        kind=outcome.kind,
        words=outcome_words(outcome),
        after=duration(days) if outcome.kind == "won" else None,
    )
