"""`handoff sla`: open leads, their deadlines and who is on the hook."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.settings import TeamConfig
from bot.sla.policy import StepKind, clock_start, is_overdue, sla_policy
from bot.timekeeping.durations import format_duration
from storage.models import Lead, LeadState

NO_ONE_ON_DUTY = "nobody (set sla.on_duty)"


@dataclass(frozen=True)
class SlaRow:
    lead: str
    company: str
    state: str
    owner: str
    deadline: str
    left: str
    on_the_hook: str
    next_step: str


def _local(moment: datetime | None, team: TeamConfig) -> str:
    if moment is None:
        return "-"
    return moment.astimezone(team.zone).strftime("%a %d %b %H:%M %Z")


def on_the_hook(lead: Lead, team: TeamConfig, now: datetime) -> str:
    """The claimer, or the on-duty reps; and the escalation contact once overdue."""
    if lead.state == LeadState.CLAIMED and lead.owner_id:
        who = lead.owner_id
    else:
        duty = team.sla.on_duty
        names = ([f"@{duty.usergroup}"] if duty.usergroup else []) + list(duty.users)
        who = "on duty: " + ", ".join(names) if names else NO_ONE_ON_DUTY
    if lead.due_at is not None and now >= lead.due_at and team.sla.escalate_to:
        who += f"; escalated to {team.sla.escalate_to}"
    return who


def next_step(lead: Lead, team: TeamConfig) -> str:
    """What the SLA clock does next for this lead, and when."""
    started = clock_start(lead)
    if lead.sla_next_at is None or started is None or lead.due_at is None:
        return "-"
    step = next(
        (
            s
            for s in sla_policy(team, lead.routing_tier).steps(started, lead.due_at)
            if s.at >= lead.sla_next_at
        ),
        None,
    )
    if step is None:
        label = "check"
    elif step.kind is StepKind.NUDGE and step.offset is not None:
        label = f"nudge ({format_duration(step.offset)} before)"
    else:
        label = {StepKind.DUE_SOON: "card: due soon", StepKind.BREACH: "escalate"}[step.kind]
    return f"{label} {_local(lead.sla_next_at, team)}"


def sla_rows(leads: list[Lead], team: TeamConfig, now: datetime) -> list[SlaRow]:
    rows = []
    for lead in leads:
        if lead.due_at is None:
            # Queued (intake, `handoff import`): the clock starts when the card is posted.
            left = "card not posted yet"
        elif is_overdue(lead, now):
            left = "overdue " + format_duration(now - lead.due_at)
        else:
            left = format_duration(lead.due_at - now) + " left"
        rows.append(
            SlaRow(
                lead=f"#{lead.id} {lead.display_name}",
                company=lead.company or "",
                state=str(lead.state),
                owner=lead.owner_id or "",
                deadline=_local(lead.due_at, team),
                left=left,
                on_the_hook=on_the_hook(lead, team, now),
                next_step=next_step(lead, team),
            )
        )
    return rows
