"""What every section of app.yaml shares: Slack id types, durations, sets of people."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from bot.timekeeping.durations import parse_duration

Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
SlackUserId = Annotated[str, Field(pattern=r"^[UW][A-Z0-9]{2,}$")]
SlackChannel = Annotated[str, Field(pattern=r"^([CGD][A-Z0-9]{2,}|#[a-z0-9_-]{1,80})$")]
SlackUsergroupId = Annotated[str, Field(pattern=r"^S[A-Z0-9]{2,}$")]


def require_unique_ids(ids: list[str], what: str) -> None:
    seen: set[str] = set()
    for item_id in ids:
        if item_id in seen:
            raise ValueError(f"{what} id {item_id!r} appears twice")
        seen.add(item_id)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Channels(Strict):
    leads: SlackChannel
    marketing: SlackChannel
    alignment: SlackChannel | None = None


class People(Strict):
    """A set of Slack users, named directly and/or through a user group."""

    users: list[SlackUserId] = Field(default_factory=list)
    usergroup: SlackUsergroupId | None = None


def iso_date(value: Any) -> str:
    # YAML reads an unquoted 2026-12-24 as a date; a quoted one stays text.
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()).isoformat()
        except ValueError:
            pass
    raise ValueError(f"{value!r} is not a date; write it as YYYY-MM-DD")


def known_zone(value: str) -> str:
    """An IANA time zone name, or a ValueError that says how to write one."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {value!r}; use an IANA name such as Europe/Berlin"
        ) from None
    return value
