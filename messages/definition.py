"""The MQL definition's messages: the fit line, the review post, disputes, quality, the review."""

from __future__ import annotations

from typing import Any

from bot.settings import People, TeamConfig
from messages.figures import NO_FIGURE, money, percent
from messages.ids import ActionId, BlockId, CallbackId
from messages.metadata import DisputeButtonRef, DisputeModalMetadata, LeadRef
from messages.rendering import Mrkdwn, mention, render, slack_date
from messages.slack_message import SlackMessage
from storage.definition_models import DefinitionDispute, DisputeDecision
from storage.definition_review import DefinitionRefused
from storage.models import Lead, LeadEvent

MAX_MISSES_SHOWN = 6


def fit_line(fit: dict[str, Any] | None) -> str | None:
    """'Fit 4/5 · misses: buyer role', from a lead's stored fit; None without one.

    Plain text: labels come from app.yaml and the template escapes them like any value.
    """
    if not fit:
        return None
    met, total = fit.get("met"), fit.get("total")
    misses = [str(label) for _, label in (fit.get("misses") or [])]
    line = f"Fit {met}/{total}"
    if not misses:
        return f"{line} · meets the MQL definition"
    shown = ", ".join(misses[:MAX_MISSES_SHOWN])
    more = len(misses) - MAX_MISSES_SHOWN
    return f"{line} · misses: {shown}" + (f" and {more} more" if more > 0 else "")


def review_lead_message(lead: Lead, decided_by: str | None = None) -> SlackMessage:
    """The marketing channel's post of a lead below the definition (`on_miss: review`)."""
    return SlackMessage.from_template(
        "definition_review_lead.json.j2",
        lead=lead,
        state=str(lead.state),
        review_state=lead.review_state or "",
        fit_line=fit_line(lead.fit) or "",
        decided_by=decided_by,
        ref=Mrkdwn(LeadRef(lead_id=lead.id or 0).dump()),
        ActionId=ActionId,
        BlockId=BlockId,
    )


def people_mentions(people: People) -> Mrkdwn:
    names = [mention(u) for u in people.users]
    if people.usergroup:
        names.append(Mrkdwn(f"<!subteam^{people.usergroup}>"))
    return Mrkdwn(", ".join(names) if names else "nobody yet (name them in app.yaml)")


def definition_refusal_line(refusal: DefinitionRefused, team: TeamConfig) -> Mrkdwn:
    """Why a definition button did nothing: fixed text and mentions only."""
    why = refusal.why
    if why == DefinitionRefused.ALREADY_REVIEWED:
        return Mrkdwn("Someone already sent this lead on or returned it.")
    if why == DefinitionRefused.NOT_A_MARKETER:
        return Mrkdwn(":lock: Only the marketers and admins send leads on or return them.")
    if why == DefinitionRefused.NOT_A_MANAGER:
        managers = people_mentions(team.dispute_managers)
        return Mrkdwn(f":lock: Only the sales managers named for disputes decide them: {managers}.")
    if why == DefinitionRefused.NOT_DISPUTABLE:
        return Mrkdwn("This rejection can't be disputed: the lead missed the MQL definition.")
    if why == DefinitionRefused.ALREADY_DISPUTED:
        return Mrkdwn("This rejection is already disputed; the managers have it.")
    if why == DefinitionRefused.ALREADY_DECIDED:
        return Mrkdwn(f"This dispute was already decided by {mention(refusal.by)}.")
    if why == DefinitionRefused.NO_LONGER_REJECTED:
        return Mrkdwn("This lead is no longer rejected, so there is nothing to overturn.")
    return Mrkdwn("That can't be done right now.")


def dispute_modal(metadata: DisputeModalMetadata, lead: Lead, reason_label: str) -> dict[str, Any]:
    return render(
        "dispute_modal.json.j2",
        metadata=Mrkdwn(metadata.dump()),
        name=lead.display_name,
        fit_line=fit_line(lead.fit) or "",
        reason_label=reason_label,
        CallbackId=CallbackId,
        BlockId=BlockId,
        ActionId=ActionId,
    )


def dispute_decision(dispute: DefinitionDispute) -> Mrkdwn | None:
    """Who decided a dispute, what, and when (in each reader's time zone); None while open.

    One line for every message that offered the decision's buttons: the managers'
    requests and the marketing notice.
    """
    if dispute.decision is None:
        return None
    who = mention(dispute.decided_by)
    when = slack_date(dispute.decided_at, "{date_short} at {time}")
    if dispute.decision == DisputeDecision.OVERTURN:
        return Mrkdwn(
            f":leftwards_arrow_with_hook: Overturned by {who} on {when}: "
            "the lead went back to sales."
        )
    return Mrkdwn(f":no_entry_sign: Upheld by {who} on {when}: the rejection stands.")


def dispute_request(
    dispute: DefinitionDispute,
    lead: Lead,
    *,
    rejected_by: str | None,
    reason_label: str,
    permalink: str | None,
) -> SlackMessage:
    """A manager's copy of a dispute: Uphold and Overturn while it is open, the decision after."""
    return SlackMessage.from_template(
        "dispute_request.json.j2",
        dispute=dispute,
        decision=dispute_decision(dispute),
        lead=lead,
        rejected_by=rejected_by,
        reason_label=reason_label,
        fit_line=fit_line(lead.fit) or "",
        permalink=permalink,
        ref=Mrkdwn(DisputeButtonRef(dispute_id=dispute.id or 1).dump()),
        ActionId=ActionId,
        BlockId=BlockId,
    )


def dispute_thread(event: LeadEvent, team: TeamConfig) -> SlackMessage:
    return SlackMessage.from_template(
        "dispute_thread.json.j2", event=event, managers=people_mentions(team.dispute_managers)
    )


MAX_BUCKETS = 12


def _rate(row: Any) -> str:
    """45% [36-54%] (n decided), with "few" when too few leads decided to trust it."""
    if row.rate is None:
        return f"{NO_FIGURE} (none decided)"
    low, high = row.interval
    few = ", few" if getattr(row, "few", False) else ""
    return f"{percent(row.rate)} [{percent(low)}-{percent(high)}] ({row.decided} decided{few})"


def _row_line(label: str, row: Any) -> str:
    won = f" · won {money(row.won)}" if row.won else ""
    return f"{label}: {row.leads} leads · accepted {_rate(row)}{won}"


def quality_message(report: Any) -> SlackMessage:
    source = f" from {report.source}" if report.source else ""
    g = report.guarantee
    sections = [
        f"Definition {report.version} · {report.period.label}{source}. Acceptance rate = "
        "accepted / decided, with a 95% Wilson interval; 'few' marks fewer than 10 decided.\n"
        f"Credited back to sales: {g.credited_back} · returned below the definition: "
        f"{g.returned} · disputes: {g.disputes} (open {g.disputes_open}, upheld {g.upheld}, "
        f"overturned {g.overturned})"
    ]
    lines = ["Per criterion"]
    for line in report.criteria:
        lines.append(f"• {line.label}: " + _row_line("met", line.met))
        lines.append("   " + _row_line("missed", line.missed))
    sections.append("\n".join(lines) if report.criteria else "No criteria in app.yaml.")
    for name, rows in report.buckets.items():
        shown = [f"• {_row_line(row.label, row)}" for row in rows[:MAX_BUCKETS]]
        more = len(rows) - MAX_BUCKETS
        tail = [f"and {more} smaller buckets (all in the CSV export)"] if more > 0 else []
        sections.append("\n".join([f"By {name}", *(shown or ["no leads"]), *tail]))
    return SlackMessage.from_template(
        "definition_quality.json.j2", title="MQL definition quality", sections=sections
    )


def _pass_line(label: str, p: Any, graded: Any) -> str:
    return (
        f"{label}: passes {p.leads} of {graded.leads} MQLs · keeps {p.accepted} of "
        f"{graded.accepted} accepted and {p.won} of {graded.won} won · acceptance " + _rate_of(p)
    )


def _rate_of(p: Any) -> str:
    if p.rate is None:
        return NO_FIGURE
    low, high = p.interval
    return f"{percent(p.rate)} [{percent(low)}-{percent(high)}]"


def what_if_message(report: Any) -> SlackMessage:
    source = f" from {report.source}" if report.source else ""
    sections = [
        f"{report.period.label}{source}, leads graded by the current definition.",
        _pass_line("Current definition", report.current, report.graded),
        _pass_line("With " + " ".join(report.changes), report.changed, report.graded),
    ]
    return SlackMessage.from_template(
        "definition_quality.json.j2", title="What if the definition changed", sections=sections
    )


def guarantee_blocks(guarantee: Any) -> list[dict[str, Any]]:
    """The guarantee's counts as one context line (stats, digest)."""
    return SlackMessage.from_template("definition_guarantee.json.j2", g=guarantee).blocks


def monthly_review_message(
    month: str, period_label: str, current: Any, graded: Any, found: list[Any], review: Any
) -> SlackMessage:
    """The monthly definition review: the current figures and each suggested change's."""
    sections = [
        f"{period_label}: " + _pass_line("the current definition", current, graded),
        *(
            f"{number}. *{s.change}*: " + _pass_line("it", s.report.changed, graded)
            for number, s in enumerate(found, start=1)
        ),
    ]
    if not found:
        sections.append(
            "No change found that raises the acceptance rate while keeping "
            f"{percent(review.keep_accepted)} of the accepted and {percent(review.keep_won)} "
            "of the won leads."
        )
    sections.append(
        "Suggestions only: nothing changes until someone edits `mql_definition` in app.yaml. "
        "Try others with `/leadfeedback quality what-if CHANGE`."
    )
    return SlackMessage.from_template(
        "definition_quality.json.j2", title=f"MQL definition review {month}", sections=sections
    )
