"""What a person reads when the rules say no, and when something broke on our side.

One function per answer, each built only from fixed text, mentions and dates:
a refusal never echoes what the person typed.
"""

from __future__ import annotations

from bot.settings import TeamConfig
from messages.commands import who_can
from messages.definition import definition_refusal_line
from messages.ids import Command
from messages.notices import notice
from messages.rendering import Mrkdwn, mention
from messages.slack_message import SlackMessage
from storage.definition_review import DefinitionRefused
from storage.models import LeadState
from storage.refusals import NotAllowed, Refusal, StaleAction
from storage.routing import HandOverRefused, LeadMoved
from storage.surveys import NotARecipient, SurveyClosed
from storage.transitions import Action, TransitionRefused


def refusal_line(refusal: Refusal, team: TeamConfig) -> Mrkdwn:
    """Why nothing changed, in one sentence."""
    if isinstance(refusal, TransitionRefused):
        return _transition_line(refusal)
    if isinstance(refusal, SurveyClosed):
        local = refusal.survey.closes_at.astimezone(team.zone)
        return Mrkdwn(
            f"This survey closed on {local:%b} {local.day} at {local:%H:%M}; "
            "answers can no longer be changed."
        )
    if isinstance(refusal, NotARecipient):
        return Mrkdwn("This survey was not sent to you, so it can't take your answers.")
    if isinstance(refusal, DefinitionRefused):
        return definition_refusal_line(refusal, team)
    if isinstance(refusal, StaleAction):
        return Mrkdwn(
            f"That doesn't carry a {refusal.what} any more; ask an admin to check the bot's logs."
        )
    if isinstance(refusal, HandOverRefused | LeadMoved):
        return _routing_line(refusal)
    if isinstance(refusal, NotAllowed):
        return Mrkdwn(
            f":lock: `{Command.LEADFEEDBACK} {refusal.command}` is for marketers and "
            f"admins: {who_can(team)}. Ask one of them, or try `{Command.LEADFEEDBACK} help` "
            "to see what you can use."
        )
    return Mrkdwn("That can't be done right now.")


def refusal_message(refusal: Refusal, team: TeamConfig) -> SlackMessage:
    line = refusal_line(refusal, team)
    icon = "" if line.startswith(":") else ":information_source: "
    return notice(Mrkdwn(f"{icon}{line}"))


def something_went_wrong(reference: str) -> SlackMessage:
    """An unexpected failure: the person gets a reference that is also in the log line."""
    return notice(
        Mrkdwn(
            f":warning: Something went wrong on our side (ref `{reference}`). "
            "Please try again; if it keeps happening, give the reference to your Handoff admin."
        )
    )


def _transition_line(refused: TransitionRefused) -> Mrkdwn:
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


def _routing_line(refused: HandOverRefused | LeadMoved) -> Mrkdwn:
    lead = refused.lead
    if lead is None:
        return Mrkdwn("That lead no longer exists.")
    owner = mention(lead.owner_id)
    if lead.state == LeadState.ACCEPTED:
        return Mrkdwn(f"This lead was already accepted as SQL by {owner}.")
    if lead.state == LeadState.REJECTED:
        return Mrkdwn(f"This lead was already rejected by {owner} and returned to marketing.")
    if isinstance(refused, HandOverRefused) and refused.why == "not_yours":
        return Mrkdwn(
            f"Only {owner}, to whom this lead is assigned, or a sales manager can hand it over."
        )
    if lead.state == LeadState.CLAIMED and lead.routing == "assigned":
        return Mrkdwn(f"This lead moved on meanwhile: it is now assigned to {owner}.")
    return Mrkdwn("Only an assigned lead can be handed over; this one is open for anyone to claim.")
