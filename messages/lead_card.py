"""The lead card in the shared channel, and the DM/thread variants built from the same facts."""

from datetime import datetime

from bot.settings import TeamConfig
from bot.sla.policy import sla_status
from messages.definition import fit_line
from messages.ids import ActionId, BlockId
from messages.metadata import LeadRef
from messages.rendering import Mrkdwn, number, safe_url
from messages.sla import on_duty_mentions
from messages.slack_message import SlackMessage
from storage.models import CARD_FIELD_LABELS, Lead


def card_fields(lead: Lead, team: TeamConfig) -> list[tuple[str, str]]:
    fields = []
    for name in team.card.fields:
        value = getattr(lead, name)
        if value is None or value == "":
            continue
        fields.append(
            (CARD_FIELD_LABELS[name], number(value) if name in ("employees", "score") else value)
        )
    return fields


def erased_message(lead: Lead, what: str) -> SlackMessage:
    """What Slack shows of a lead once its personal data is erased: the fact, not the person."""
    return SlackMessage.from_template(
        "erased_message.json.j2", what=what, erased_at=lead.erased_at, state=str(lead.state)
    )


def lead_card(lead: Lead, team: TeamConfig, now: datetime) -> SlackMessage:
    if lead.erased_at is not None:
        return erased_message(lead, "card")
    return SlackMessage.from_template(
        "lead_card.json.j2",
        lead=lead,
        state=str(lead.state),
        fields=card_fields(lead, team),
        status=sla_status(lead, now),
        reason_label=team.reason_label(lead.rejection_reason),
        crm_url=safe_url(lead.crm_url),
        # Routing (assign mode): assigned by the rules, or left to Claim with nobody available.
        assigned=lead.routing == "assigned",
        unrouted=lead.routing == "claim",
        on_duty=on_duty_mentions(team.sla.on_duty),
        fit_line=fit_line(lead.fit),
        fit_ok=not lead.fit_missed,
        ref=Mrkdwn(LeadRef(lead_id=lead.id or 0).dump()),
        ActionId=ActionId,
        BlockId=BlockId,
    )
