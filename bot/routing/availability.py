"""Whether a member can take a lead now, and if not, why (the "why this rep" reasons).

Pure: the caller passes in what Slack says about the person (time zone,
deactivated, status) and what the database says (away, cap).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.settings.routing import Hours, RepHours
from bot.timekeeping.weekdays import WEEKDAYS

# What people write in a Slack status when they are away from work.
OOO_STATUS = re.compile(r"\b(ooo|out of (the )?office|vacation|holiday|on leave|sick)\b", re.I)
# Status emoji names, without their colons (Slack sends ":palm_tree:").
OOO_EMOJI = frozenset({"palm_tree", "airplane", "face_with_thermometer", "beach_with_umbrella"})


class SkipReason(StrEnum):
    AWAY = "away"
    CAP = "cap"
    HOURS = "hours"
    STATUS = "status"
    DEACTIVATED = "deactivated"
    # A breached lead never goes back to someone who already had it.
    HAD_IT = "had_it"


SKIP_WORDS = {
    SkipReason.AWAY: "away",
    SkipReason.CAP: "at their cap",
    SkipReason.HOURS: "outside working hours",
    SkipReason.STATUS: "out-of-office status",
    SkipReason.DEACTIVATED: "deactivated",
    SkipReason.HAD_IT: "had this lead already",
}


@dataclass(frozen=True)
class Person:
    """What Slack's users.info says about a member (only what routing reads)."""

    user_id: str
    tz: str | None = None
    deleted: bool = False
    status_text: str = ""
    status_emoji: str = ""
    # Unix seconds; 0 means the status does not expire.
    status_expiration: int = 0


def _zone(name: str | None, fallback: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or fallback)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(fallback)


def in_hours(now: datetime, hours: Hours, zone: ZoneInfo) -> bool:
    local = now.astimezone(zone)
    return WEEKDAYS[local.weekday()] in hours.days and hours.start <= local.time() < hours.end


def shows_ooo(person: Person, now: datetime) -> bool:
    if person.status_expiration and person.status_expiration <= now.timestamp():
        return False
    emoji = person.status_emoji.strip(":")
    return bool(OOO_STATUS.search(person.status_text)) or emoji in OOO_EMOJI


def skip_reason(
    person: Person,
    now: datetime,
    *,
    hours: Hours | None,
    own_hours: RepHours | None,
    team_zone: str,
    away: bool,
    at_cap: bool,
    check_status: bool,
) -> SkipReason | None:
    """Why `person` cannot take a lead now, in the order people would look; None if they can."""
    if person.deleted:
        return SkipReason.DEACTIVATED
    if away:
        return SkipReason.AWAY
    if check_status and shows_ooo(person, now):
        return SkipReason.STATUS
    window = own_hours or hours
    if window is not None:
        zone_name = own_hours.timezone if own_hours and own_hours.timezone else person.tz
        if not in_hours(now, window, _zone(zone_name, team_zone)):
            return SkipReason.HOURS
    if at_cap:
        return SkipReason.CAP
    return None
