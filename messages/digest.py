"""The weekly digest as Block Kit: the channel message, its thread details, a preview."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.feedback.reports import DigestReport
from bot.settings import TeamConfig
from messages.block_limits import MAX_BLOCKS_MESSAGE
from messages.feedback import first_touch_text, outcome_fields, sla_text, source_line
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
from messages.slack_message import SlackMessage
from storage.models import Lead

DIGEST_RANKED = 5


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
        summary=f"{counted(current.mqls, 'MQL')}, {percent(current.acceptance_rate)} accepted",
        fields=[
            ("MQLs", f"{current.mqls:,}  {change(current.mqls, previous.mqls)}"),
            (
                "Accepted as SQL",
                f"{current.accepted:,} · {percent(current.acceptance_rate)}  "
                f"{change_points(current.acceptance_rate, previous.acceptance_rate)}",
            ),
            ("Rejected", f"{current.rejected:,}"),
            ("Still open", f"{current.open:,}"),
            ("SLA attainment", sla_text(current, previous)),
            ("Won", money(current.won) if current.wins else NO_FIGURE),
        ],
        top_reason=(
            {"label": team.reason_label(top_reason.reason), "share": percent(top_reason.share)}
            if top_reason
            else None
        ),
        # With no accepted lead the template says so rather than crown a 0% source.
        best_source=(
            {
                "name": source_label(best.source),
                "rate": percent(best.acceptance_rate),
                "accepted": best.accepted,
            }
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
        sla=sla_text(current),
        breaches=lead_lines(report.breaches.leads, permalinks),
        breaches_total=report.breaches.total,
        reasons=[
            {
                "label": team.reason_label(row.reason),
                "count": row.count,
                "share": percent(row.share),
                "comment": row.comments[0].text if row.comments else None,
            }
            for row in report.reasons[:DIGEST_RANKED]
        ],
        by_acceptance=[source_line(r, team) for r in report.by_acceptance[:DIGEST_RANKED]],
        by_won=[
            {"name": source_label(r.source), "won": money(r.won)}
            for r in (report.by_won[:DIGEST_RANKED] if currency else [])
        ],
        currency=currency,
        outcomes=outcome_fields(current),
        overdue=lead_lines(report.overdue.leads, permalinks),
        overdue_total=report.overdue.total,
    )
    if not sections:
        return details
    room = MAX_BLOCKS_MESSAGE - len(details.blocks)
    extra = list(sections)
    if len(extra) > room:
        extra = [*extra[: room - 1], _context("More sections did not fit in this message.")]
    return SlackMessage(text=details.text, blocks=[*details.blocks, *extra])


def lead_lines(leads: Sequence[Lead], permalinks: Mapping[int, str | None]) -> list[dict[str, Any]]:
    return [{"lead": lead, "url": permalinks.get(lead.id or 0)} for lead in leads]


def _context(fixed_text: str) -> dict[str, Any]:
    """A context block of text this module wrote (nothing from users)."""
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": fixed_text}]}


def digest_preview(main: SlackMessage, details: SlackMessage) -> SlackMessage:
    """Both parts in one private message (the chart comes only with the posted digest)."""
    note = _context(":eyes: Preview, only you can see this. `/leadfeedback digest post` posts it.")
    blocks = [note, *main.blocks, {"type": "divider"}, *details.blocks]
    return SlackMessage(text=main.text, blocks=blocks[:MAX_BLOCKS_MESSAGE])
