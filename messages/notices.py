"""Short messages about a lead: refusals, thread replies, the marketing channel notice."""

from bot.settings import TeamConfig
from messages.rendering import Mrkdwn, mention
from messages.slack_message import SlackMessage
from storage.models import Lead, LeadEvent, LeadState
from storage.transitions import Action, TransitionRefused


def refusal_line(refused: TransitionRefused) -> Mrkdwn:
    """Why a click changed nothing, built only from fixed text and a mention."""
    lead, action = refused.lead, refused.action
    if lead is None:
        return Mrkdwn("That lead no longer exists.")
    owner = mention(lead.owner_id)
    if lead.message_ts is None:
        return Mrkdwn("That lead's card has not been posted yet; try again in a moment.")
    if lead.state == LeadState.ACCEPTED:
        return Mrkdwn(f"This lead was already accepted as SQL by {owner}.")
    if lead.state == LeadState.REJECTED:
        return Mrkdwn(f"This lead was already rejected by {owner} and returned to marketing.")
    if lead.state == LeadState.CLAIMED and lead.owner_id == refused.actor_id:
        return Mrkdwn("You already claimed this lead.")
    if lead.state == LeadState.CLAIMED:
        if action is Action.CLAIM:
            return Mrkdwn(f"This lead is already claimed by {owner}.")
        return Mrkdwn(f"Only {owner}, who claimed this lead, can {action} it.")
    return Mrkdwn("This lead is open again: claim it first.")


def refusal(refused: TransitionRefused) -> SlackMessage:
    return notice(Mrkdwn(f":information_source: {refusal_line(refused)}"))


def event_reply(lead: Lead, event: LeadEvent, team: TeamConfig) -> SlackMessage:
    reason = team.reason(event.detail.get("reason", "")) if event.detail else None
    return SlackMessage.from_template(
        "event_reply.json.j2",
        lead=lead,
        event=event,
        reason_label=reason.label if reason else event.detail.get("reason"),
    )


def rejection_notice(
    lead: Lead, event: LeadEvent, team: TeamConfig, permalink: str | None
) -> SlackMessage:
    reason = team.reason(event.detail.get("reason", ""))
    return SlackMessage.from_template(
        "rejection_notice.json.j2",
        lead=lead,
        event=event,
        reason_label=reason.label if reason else event.detail.get("reason"),
        permalink=permalink,
    )


def notice(text: str) -> SlackMessage:
    """A one-line answer; plain str is escaped, Mrkdwn is sent as composed."""
    return SlackMessage.from_template("notice.json.j2", text=text)
