"""The SLA clock's messages: the claimer's DM, the thread nudge, the escalation."""

import math
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from bot.settings import People, TeamConfig
from bot.timekeeping.durations import format_duration
from messages.ids import ActionId
from messages.metadata import LeadRef
from messages.rendering import Mrkdwn, clip, escape_mrkdwn, mention
from messages.slack_message import SlackMessage
from storage.models import Lead, LeadEvent


class SlaBlockId(StrEnum):
    NUDGE_ACTIONS = "sla_nudge_actions"


def time_left(due_at: datetime, now: datetime) -> str:
    """Whole minutes, rounded up: a sweep a few seconds late still says "1h", not "59m"."""
    minutes = max(0, math.ceil((due_at - now).total_seconds() / 60))
    return format_duration(timedelta(minutes=minutes))


def on_duty_mentions(people: People) -> Mrkdwn:
    """Mentions of the on-duty reps; the ids were validated when app.yaml was loaded."""
    parts = [f"<!subteam^{people.usergroup}>"] if people.usergroup else []
    parts += [mention(user) for user in people.users]
    return Mrkdwn(" ".join(parts))


def lead_label(lead: Lead) -> Mrkdwn:
    """*Name* at *Company*, escaped."""
    label = f"*{escape_mrkdwn(clip(lead.display_name, 150))}*"
    if lead.company:
        label += f" at *{escape_mrkdwn(clip(lead.company, 200))}*"
    return Mrkdwn(label)


def nudge_dm(lead: Lead, now: datetime, permalink: str | None) -> SlackMessage:
    return SlackMessage.from_template(
        "sla_nudge_dm.json.j2",
        lead=lead,
        left=time_left(lead.due_at or now, now),
        permalink=permalink,
        ref=Mrkdwn(LeadRef(lead_id=lead.id or 0).dump()),
        ActionId=ActionId,
        SlaBlockId=SlaBlockId,
    )


def nudge_dm_done(
    lead: Lead, team: TeamConfig, permalink: str | None, *, superseded: bool
) -> SlackMessage:
    return SlackMessage.from_template(
        "sla_nudge_dm_done.json.j2",
        lead=lead,
        who=lead_label(lead),
        state=str(lead.state),
        superseded=superseded,
        reason_label=team.reason_label(lead.rejection_reason),
        permalink=permalink,
    )


def thread_note(
    lead: Lead,
    team: TeamConfig,
    now: datetime,
    *,
    note: str,
    owner_id: str | None = None,
) -> SlackMessage:
    """note: "nudge" (unclaimed), "unreachable" (the claimer has no DM) or "released"."""
    return SlackMessage.from_template(
        "sla_thread_note.json.j2",
        lead=lead,
        note=note,
        owner_id=owner_id,
        left=time_left(lead.due_at or now, now),
        on_duty=on_duty_mentions(team.sla.on_duty),
    )


def escalation(lead: Lead, breach: LeadEvent, permalink: str | None) -> SlackMessage:
    detail: dict[str, Any] = breach.detail or {}
    return SlackMessage.from_template(
        "sla_escalation.json.j2",
        lead=lead,
        owner_id=detail.get("owner_id"),
        released=bool(detail.get("released")),
        permalink=permalink,
    )
