"""The CRM loop end to end: the real bot, the fake Slack workspace and a fake CRM, over HTTP.

`CrmLoop` starts the bot with `crm.provider` pointed (HUBSPOT_API_URL,
SALESFORCE_INSTANCE_URL) at a fake portal or org, runs its CRM jobs on the bot's own
loop exactly as the scheduler would, and waits for the outbox to drain before a test
asserts that something did not happen.
"""

from __future__ import annotations

from contextlib import ExitStack
from datetime import UTC, datetime
from typing import Any

import httpx
from pydantic import SecretStr

from bot.crm import activity, poll
from bot.crm.poll import PullSummary
from bot.sandbox.fake_crm import FakeHubSpot, FakeSalesforce
from bot.sandbox.fake_slack import FakeSlackServer, FakeWorkspace, InteractionSender, Message
from bot.settings import Settings
from bot.timekeeping.clock import ManualClock
from messages.ids import ActionId, BlockId
from storage.models import Lead, OutboxState
from tests import store
from tests.conftest import SIGNING_SECRET, make_settings
from tests.harness import BotServer, wait_for

LEADS, MARKETING = "C0LEADS", "C0MKTG"
ANA, BEN = "U0REP1", "U0REP2"
ANA_EMAIL, BEN_EMAIL = "ana@handoff-demo.example", "ben@handoff-demo.example"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HUBSPOT_TOKEN = "pat-na1-test-token"
HUBSPOT_SECRET = "hubspot-app-client-secret"
SF_CLIENT_ID = "3MVG9test.client.id"
SF_CLIENT_SECRET = "test-salesforce-secret"


def text_of(message: Message) -> str:
    return repr(message.blocks) + message.text


class CrmLoop:
    """One test's bot(s), fake CRM, workspace and clock."""

    def __init__(
        self,
        stack: ExitStack,
        database_url: str,
        slack: FakeSlackServer,
        workspace: FakeWorkspace,
        clock: ManualClock,
        crm_url: str,
        provider: str,
    ) -> None:
        self.stack = stack
        self.database_url = database_url
        self.slack = slack
        self.ws = workspace
        self.clock = clock
        self.crm_url = crm_url
        self.provider = provider
        self.bots: list[BotServer] = []

    # ------------------------------------------------------------------- set-up

    def settings(self, team: dict[str, Any] | None = None, **crm: Any) -> Settings:
        """The CRM's settings with `crm` keys; `team` adds other app.yaml sections."""
        team_crm = {"provider": self.provider, **crm}
        base = make_settings(self.database_url, self.slack.api_url, crm=team_crm, **(team or {}))
        if self.provider == "hubspot":
            env: dict[str, Any] = {
                "hubspot_access_token": SecretStr(HUBSPOT_TOKEN),
                "hubspot_client_secret": SecretStr(HUBSPOT_SECRET),
                "hubspot_api_url": self.crm_url,
            }
        else:
            env = {
                "salesforce_instance_url": self.crm_url,
                "salesforce_client_id": SF_CLIENT_ID,
                "salesforce_client_secret": SecretStr(SF_CLIENT_SECRET),
            }
        return base.model_copy(update=env)

    def start(self, settings: Settings | None = None) -> BotServer:
        bot = BotServer(settings or self.settings(), clock=self.clock)
        self.stack.enter_context(bot)
        assert bot.handoff is not None
        # One message a second per channel is Slack's pace, not the tests'.
        bot.handoff.services.outbox.ctx.pacer.interval = 0.0
        self.bots.append(bot)
        return bot

    @property
    def bot(self) -> BotServer:
        return self.bots[0]

    def sender(self, bot: BotServer | None = None) -> InteractionSender:
        return InteractionSender(
            self.ws,
            bot_url=(bot or self.bot).url,
            signing_secret=SIGNING_SECRET,
            response_base_url=self.slack.url,
        )

    # ------------------------------------------------------------------- the jobs

    def poll(self, bot: BotServer | None = None) -> PullSummary:
        """One poll, as the scheduler runs it (waiting out one already under way)."""
        bot = bot or self.bot
        crm = bot.handoff.services.crm  # type: ignore[union-attr]
        assert crm is not None

        def run() -> PullSummary:
            return bot.call(lambda: poll.poll(crm))

        return wait_for(lambda: (s := run()) and not s.skipped and s, what="a poll of our own")

    def sweep_activity(self, bot: BotServer | None = None) -> int:
        bot = bot or self.bot
        crm = bot.handoff.services.crm  # type: ignore[union-attr]
        return bot.call(lambda: activity.sweep(crm))

    def healthz(self, bot: BotServer | None = None) -> dict[str, Any]:
        return httpx.get(f"{(bot or self.bot).url}/healthz", timeout=10).json()

    # ------------------------------------------------------------------ reading

    def drained(self) -> None:
        """Wait until the outbox has nothing left to send (to assert what did not happen)."""
        wait_for(
            lambda: all(m.state != OutboxState.PENDING for m in store.outbox(self.database_url)),
            what="the outbox to drain",
        )

    def idle(self) -> None:
        """Wait until the worker has handled all that is due now, before moving the clock.

        A message that fails is put back for `now + backoff`; moving a stopped clock
        while it is in flight would put it back past the new time.
        """
        wait_for(
            lambda: all(
                m.state != OutboxState.PENDING
                or (m.not_before > self.clock.now() and m.lease_until is None)
                for m in store.outbox(self.database_url)
            ),
            what="the outbox to have nothing due",
        )

    def lead_of(self, record_id: str) -> Lead:
        def find() -> Lead | None:
            found = [
                lead for lead in store.leads(self.database_url) if lead.external_id == record_id
            ]
            return found[0] if found else None

        return wait_for(find, what=f"the lead of record {record_id}")

    def card_of(self, record_id: str) -> Message:
        lead = self.lead_of(record_id)

        def card() -> Message | None:
            ts = store.lead(self.database_url, lead.id or 0).message_ts
            return self.ws.message(LEADS, ts) if ts else None

        return wait_for(card, what=f"the card of record {record_id}")

    def cards(self) -> list[Message]:
        return self.ws.messages(LEADS)

    def click(self, user: str, card: Message, action: ActionId) -> None:
        """Click a card button and wait for the card to show what it did."""
        response = self.sender().click(user=user, channel=LEADS, ts=card.ts, action_id=action)
        assert response.status_code == 200
        expect = {
            ActionId.CLAIM: f"Claimed by <@{user}>",
            ActionId.ACCEPT: f"Accepted as SQL by <@{user}>",
        }.get(action)
        if expect:
            wait_for(
                lambda: expect in text_of(self.ws.message(LEADS, card.ts) or card),
                what=f"the card to say {expect!r}",
            )

    def reject(self, user: str, card: Message, reason: str, comment: str | None) -> None:
        sender = self.sender()
        assert (
            sender.click(
                user=user, channel=LEADS, ts=card.ts, action_id=ActionId.REJECT
            ).status_code
            == 200
        )
        view = wait_for(lambda: self.ws.open_views(user), what="reject modal")[-1]
        values: dict[str, Any] = {BlockId.REJECT_REASON: {ActionId.REJECT_REASON: reason}}
        if comment is not None:
            values[BlockId.REJECT_COMMENT] = {ActionId.REJECT_COMMENT: comment}
        assert sender.submit_view(user=user, view_id=view.id, values=values).status_code == 200

    def state_of(self, record_id: str, state: str) -> Lead:
        lead_id = self.lead_of(record_id).id or 0
        return wait_for(
            lambda: (lead := store.lead(self.database_url, lead_id)).state == state and lead,
            what=f"lead {lead_id} to be {state}",
        )


def seed_hubspot_owners(portal: FakeHubSpot) -> dict[str, str]:
    """Ana has a HubSpot owner with her Slack address; Ben has none."""
    ana = portal.add_owner(ANA_EMAIL, "Ana", "Rep", owner_id="501")
    return {ANA: ana["id"]}


def seed_salesforce_users(org: FakeSalesforce) -> dict[str, str]:
    return {ANA: org.add_user(ANA_EMAIL, "Ana", "Rep")}
