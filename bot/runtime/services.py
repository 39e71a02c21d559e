"""What listeners, endpoints and jobs share: passed in, never imported as globals."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.runtime.jobs import Jobs
from bot.runtime.subcommands import Subcommands
from bot.settings import Settings
from bot.slack.directory import Directory
from bot.timekeeping.clock import Clock
from storage.database import Database

if TYPE_CHECKING:
    from bot.runtime.outbox_worker import OutboxWorker


@dataclass
class SlackStatus:
    """The last auth.test answer, for /healthz."""

    auth_ok: bool | None = None
    team: str | None = None
    bot_user_id: str | None = None
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"auth": self.auth_ok, "team": self.team, "error": self.error}


# A feature's part of the weekly digest: given the week [start, end), the
# blocks to add (an empty list when it has nothing to say that week).
DigestSection = Callable[["Services", datetime, datetime], Awaitable[list[dict[str, Any]]]]


@dataclass
class Services:
    settings: Settings
    db: Database
    clock: Clock
    client: AsyncWebClient
    outbox: OutboxWorker
    directory: Directory
    slack: SlackStatus = field(default_factory=SlackStatus)
    jobs: Jobs = field(default_factory=Jobs)
    subcommands: Subcommands = field(default_factory=Subcommands)
    digest_sections: list[DigestSection] = field(default_factory=list)
