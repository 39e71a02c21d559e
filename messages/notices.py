"""Short messages: one-line notices, a lead's thread replies, the marketing channel notice."""

from bot.definition.guarantee import guarantee_of
from bot.settings import TeamConfig
from messages.definition import dispute_decision, fit_line
from messages.ids import ActionId
from messages.metadata import RejectionRef
from messages.rendering import Mrkdwn
from messages.slack_message import SlackMessage
from storage.definition_models import DefinitionDispute
from storage.models import Lead, LeadEvent


def event_reply(lead: Lead, event: LeadEvent, team: TeamConfig) -> SlackMessage:
    return SlackMessage.from_template(
        "event_reply.json.j2",
        lead=lead,
        event=event,
        reason_label=team.reason_label((event.detail or {}).get("reason")),
    )


def rejection_notice(
    lead: Lead,
    event: LeadEvent,
    team: TeamConfig,
    permalink: str | None,
    dispute: DefinitionDispute | None = None,
) -> SlackMessage:
    """The marketing channel's notice of a rejection; once its dispute is decided, the
    decision instead of the Dispute button."""
    return SlackMessage.from_template(
        "rejection_notice.json.j2",
        lead=lead,
        event=event,
        reason_label=team.reason_label((event.detail or {}).get("reason")),
        permalink=permalink,
        # The lead guarantee (bot/definition/): credited back, or open to a dispute.
        guarantee=str(guarantee_of(lead, (event.detail or {}).get("reason"), team)),
        fit_line=fit_line(lead.fit),
        decision=dispute_decision(dispute) if dispute else None,
        dispute_ref=Mrkdwn(RejectionRef(lead_id=lead.id or 1, event_id=event.id or 1).dump()),
        ActionId=ActionId,
    )


def notice(text: str) -> SlackMessage:
    """A one-line answer; plain str is escaped, Mrkdwn is sent as composed."""
    return SlackMessage.from_template("notice.json.j2", text=text)
