"""A routed bot for tests: assign-mode settings, a manual clock, the fake workspace, helpers."""

from __future__ import annotations

from contextlib import ExitStack
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.runtime.jobs import JobName
from bot.sandbox.fake_slack import FakeSlackServer, FakeWorkspace, InteractionSender, Message
from bot.settings import Settings
from bot.timekeeping.clock import ManualClock
from messages.ids import ActionId, BlockId
from tests import store
from tests.conftest import SIGNING_SECRET, make_settings
from tests.harness import BotServer, wait_for

LEADS = "C0LEADS"
ANA, BEN, MARIA, MARK, GUS = "U0REP1", "U0REP2", "U0MGR", "U0MKT", "U0GONE"
BERLIN = ZoneInfo("Europe/Berlin")
# Monday 7 December 2026, 10:00 in Berlin.
START = datetime(2026, 12, 7, 10, 0, tzinfo=BERLIN)

ROUTING: dict[str, Any] = {
    "mode": "assign",
    "working_hours": None,
    "managers": {"users": [MARIA]},
    "pools": [{"id": "reps", "members": {"users": [ANA, BEN]}}],
    "rules": [{"pool": "reps", "tier": "standard"}],
}
SLA: dict[str, Any] = {
    "on_duty": {"usergroup": "S0REPS"},
    "escalate_to": MARIA,
    "tiers": [{"id": "standard", "respond_within": "1h", "nudge_before": ["15m"]}],
}


def lead_body(n: int = 1, **fields: Any) -> dict[str, Any]:
    return {
        "email": f"buyer{n}@acme{n}.example",
        "first_name": "Ana",
        "last_name": f"Buyer {n}",
        "company": f"Acme {n}",
        "source": "webinar",
        **fields,
    }


def text_of(message: Message) -> str:
    return repr(message.blocks) + message.text


def action_ids(message: Message) -> list[str]:
    return [
        e.get("action_id") for b in message.blocks if b["type"] == "actions" for e in b["elements"]
    ]


class Desk:
    """One test's routed bot, clock and helpers."""

    def __init__(
        self,
        stack: ExitStack,
        database_url: str,
        slack: FakeSlackServer,
        workspace: FakeWorkspace,
        clock: ManualClock,
    ) -> None:
        self.stack = stack
        self.database_url = database_url
        self.slack = slack
        self.ws = workspace
        self.clock = clock
        self.bot: BotServer | None = None

    def settings(self, routing: dict[str, Any] | None = None, **team: Any) -> Settings:
        merged = {"routing": {**ROUTING, **(routing or {})}, "sla": SLA, **team}
        return make_settings(self.database_url, self.slack.api_url, **merged)

    def start(self, settings: Settings | None = None) -> BotServer:
        bot = BotServer(settings or self.settings(), clock=self.clock)
        self.stack.enter_context(bot)
        assert bot.handoff is not None
        bot.handoff.services.outbox.ctx.pacer.interval = 0.0
        self.bot = bot
        return bot

    @property
    def sender(self) -> InteractionSender:
        assert self.bot is not None
        return InteractionSender(
            self.ws,
            bot_url=self.bot.url,
            signing_secret=SIGNING_SECRET,
            response_base_url=self.slack.url,
        )

    def post(self, n: int = 1, **fields: Any) -> tuple[int, Message]:
        assert self.bot is not None
        response = self.bot.post_leads(lead_body(n, **fields))
        assert response.status_code == 201, response.text
        lead_id = response.json()["id"]
        self.bot.drain()

        def card() -> Message | None:
            ts = store.lead(self.database_url, lead_id).message_ts
            return self.ws.message(LEADS, ts) if ts else None

        return lead_id, wait_for(card, what=f"card of lead {lead_id}")

    def card(self, card: Message) -> Message:
        assert self.bot is not None
        self.bot.drain()
        found = self.ws.message(LEADS, card.ts)
        assert found is not None
        return found

    def card_says(self, card: Message, fragment: str) -> Message:
        def check() -> Message | None:
            message = self.ws.message(LEADS, card.ts)
            return message if message and fragment in text_of(message) else None

        return wait_for(check, what=f"card saying {fragment!r}")

    def dms(self, user: str) -> list[Message]:
        assert self.bot is not None
        self.bot.drain()
        channel = self.ws.dm_channel(user)
        return self.ws.messages(channel) if channel else []

    def replies(self, card: Message) -> list[Message]:
        assert self.bot is not None
        self.bot.drain()
        return self.ws.replies(LEADS, card.ts)

    def sweep(self, moment: datetime) -> None:
        assert self.bot is not None and self.bot.handoff is not None
        self.clock.set(moment)
        services = self.bot.handoff.services
        self.bot.call(lambda: services.registry.jobs.run(JobName.SLA_SWEEP))
        self.bot.drain()

    def open_view(self, user: str) -> Any:
        return wait_for(lambda: self.ws.open_views(user), what=f"a modal for {user}")[-1]

    def hand_over(
        self, user: str, card: Message, to: str, note: str, *, in_dm: bool = False
    ) -> Any:
        if in_dm:
            self.sender.click_in_dm(user=user, action_id=ActionId.HAND_OVER)
        else:
            self.sender.click(user=user, channel=LEADS, ts=card.ts, action_id=ActionId.HAND_OVER)
        view = self.open_view(user)
        values = {
            BlockId.HAND_OVER_TO: {ActionId.HAND_OVER_TO: to},
            BlockId.HAND_OVER_NOTE: {ActionId.HAND_OVER_NOTE: note},
        }
        return self.sender.submit_view(user=user, view_id=view.id, values=values)
