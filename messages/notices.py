"""Short messages: one-line notices, a lead's thread replies, the marketing channel notice."""

from bot.settings import TeamConfig
from messages.slack_message import SlackMessage
from storage.models import Lead, LeadEvent


def event_reply(lead: Lead, event: LeadEvent, team: TeamConfig) -> SlackMessage:
    return SlackMessage.from_template(
        "event_reply.json.j2",
        lead=lead,
        event=event,
        reason_label=team.reason_label((event.detail or {}).get("reason")),
    )


def rejection_notice(
    lead: Lead, event: LeadEvent, team: TeamConfig, permalink: str | None
) -> SlackMessage:
    return SlackMessage.from_template(
        "rejection_notice.json.j2",
        lead=lead,
        event=event,
        reason_label=team.reason_label((event.detail or {}).get("reason")),
        permalink=permalink,
    )


def notice(text: str) -> SlackMessage:
    """A one-line answer; plain str is escaped, Mrkdwn is sent as composed."""
    return SlackMessage.from_template("notice.json.j2", text=text)
