"""The MQL definition's messages: the fit line, the review post, disputes, quality, the review."""

from __future__ import annotations

from typing import Any

from bot.settings import People, TeamConfig
from messages.ids import ActionId, BlockId
from messages.metadata import LeadRef
from messages.rendering import Mrkdwn, mention
from messages.slack_message import SlackMessage
from storage.definition_review import DefinitionRefused
from storage.models import Lead

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
