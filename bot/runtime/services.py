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
    """The last auth.test answer and, in Socket Mode, the connection's state, for /healthz."""

    auth_ok: bool | None = None
    team: str | None = None
    bot_user_id: str | None = None
    error: str | None = None
    socket: str | None = None  # None over HTTP; connecting, connected, ... over Socket Mode

    def as_json(self) -> dict[str, Any]:
        answer: dict[str, Any] = {"auth": self.auth_ok, "team": self.team, "error": self.error}
        if self.socket is not None:
            answer["socket"] = self.socket
        return answer


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
