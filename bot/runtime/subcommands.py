"""`/leadfeedback` subcommands: a registry that feature modules add to.

A subcommand's `run` gets the parsed request and returns the answer; it raises
UsageError for bad arguments (the person then sees that subcommand's usage).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum

from messages.slack_message import SlackMessage


class Audience(StrEnum):
    EVERYONE = "everyone"
    MARKETERS = "marketers"  # the marketers and admins named in app.yaml
    MANAGERS = "managers"  # marketers, admins and the sales managers (routing.managers)


class UsageError(Exception):
    """Bad arguments; the message says what was wrong."""


@dataclass(frozen=True)
class CommandRequest:
    user_id: str
    channel_id: str | None
    args: list[str]
    response_url: str | None = None
    trigger_id: str | None = None


# A subcommand closes over what it needs (the app's services), like a job's sweep.
Run = Callable[[CommandRequest], Awaitable[SlackMessage]]


@dataclass(frozen=True)
class Subcommand:
    name: str
    usage: str  # e.g. "stats [7d|30d|90d|quarter|YYYY-MM] [source:NAME]"
    summary: str
    audience: Audience
    run: Run
    examples: list[str] = field(default_factory=list)

    @property
    def for_everyone(self) -> bool:
        return self.audience is Audience.EVERYONE


class Subcommands:
    def __init__(self) -> None:
        self._by_name: dict[str, Subcommand] = {}

    def add(self, subcommand: Subcommand) -> None:
        if subcommand.name in self._by_name:
            raise ValueError(f"subcommand {subcommand.name!r} registered twice")
        self._by_name[subcommand.name] = subcommand

    def get(self, name: str) -> Subcommand | None:
        return self._by_name.get(name)

    def all(self) -> list[Subcommand]:
        return list(self._by_name.values())
