"""`/handoff away [until DATE]` and `/handoff back`: a rep takes themselves out of the rotation.

An away rep is skipped by every pool (reason "away") until the date or until they say
back; the App Home tab has the same toggle. "until 2026-12-24" means back on that
day: away until its first moment in the team's time zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.routing.home import queue_home
from storage.routing_away import away_until, set_away, set_back

if TYPE_CHECKING:
    from bot.runtime.services import Services

USAGE = "`/handoff away` · `/handoff away until YYYY-MM-DD` · `/handoff back` · `/handoff status`"


class AwayUsage(ValueError):
    """The text is not one of the forms in USAGE; the message says what was wrong."""


@dataclass(frozen=True)
class AwayRequest:
    action: str  # "away", "back", "status"
    until: date | None = None


def parse_away(text: str, today: date) -> AwayRequest:
    words = text.strip().lower().split()
    if not words or words[0] in ("help", "-h", "--help"):
        raise AwayUsage("")
    if words[0] in ("back", "status") and len(words) == 1:
        return AwayRequest(words[0])
    if words[0] != "away":
        raise AwayUsage(f"I don't know `{words[0][:40]}`.")
    if len(words) == 1:
        return AwayRequest("away")
    if len(words) != 3 or words[1] != "until":
        raise AwayUsage("Write the date after `until`, e.g. `/handoff away until 2026-12-24`.")
    try:
        until = date.fromisoformat(words[2])
    except ValueError:
        raise AwayUsage(f"`{words[2][:40]}` is not a date; write it as YYYY-MM-DD.") from None
    if until <= today:
        raise AwayUsage("That date is not in the future; name the day you are back.")
    return AwayRequest("away", until)


def back_at(until: date, zone: str) -> datetime:
    return datetime.combine(until, time(0, 0), tzinfo=ZoneInfo(zone))


async def apply_away(services: Services, user_id: str, request: AwayRequest) -> str:
    """Do what the rep asked; the plain-text answer (the template escapes it)."""
    team = services.settings.team
    now = services.clock.now()
    async with services.db.session() as session:
        if request.action == "away":
            until = back_at(request.until, team.timezone) if request.until else None
            await set_away(session, user_id=user_id, now=now, until=until)
        elif request.action == "back":
            was_away = await set_back(session, user_id=user_id)
        current = await away_until(session, user_id=user_id, now=now)
        if request.action != "status" and team.routing.mode == "assign":
            await queue_home(session, now=now, user_id=user_id)
    services.outbox.wake()
    if request.action == "away":
        when = (
            f"until {request.until.isoformat()}" if request.until else "until you say /handoff back"
        )
        return f"You're away {when}: no new leads are assigned to you meanwhile."
    if request.action == "back":
        if not was_away:
            return "You weren't away; leads keep coming to you as usual."
        return "Welcome back: you're in the rotation again, starting at the pool's average."
    if current is None:
        return "You're in the rotation: new leads can be assigned to you."
    if current.until is None:
        return "You're away until you say /handoff back."
    return f"You're away until {current.until.astimezone(team.zone):%Y-%m-%d}."
