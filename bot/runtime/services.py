"""What listeners, endpoints and jobs share: passed in, never imported as globals."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.runtime.registry import Registry
from bot.runtime.telemetry import Telemetry
from bot.settings import Settings
from bot.slack.directory import Directory
from bot.timekeeping.clock import Clock
from storage.database import Database

if TYPE_CHECKING:
    from bot.crm.service import Crm
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


@dataclass
class Services:
    settings: Settings
    db: Database
    clock: Clock
    client: AsyncWebClient
    outbox: OutboxWorker
    directory: Directory
    registry: Registry
    slack: SlackStatus = field(default_factory=SlackStatus)
    # The CRM connector, when crm.provider names one (bot/crm/wiring.py).
    crm: Crm | None = None
    telemetry: Telemetry = field(default_factory=Telemetry)
