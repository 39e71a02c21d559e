"""The SLA clock end to end: the real bot over HTTP, the fake workspace, a manual clock.

Time never sleeps here: the clock is set to the moment a step is due and the
sweep is run on the bot's own loop, exactly as APScheduler would run it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import bot.sla.sweep as sla_sweep_module
from bot.runtime.jobs import JobName
from bot.sandbox.fake_slack import FakeSlackServer, FakeWorkspace, InteractionSender, Message
from bot.settings import Settings
from bot.timekeeping.clock import ManualClock
from messages.ids import ActionId, BlockId
from storage.models import OutboxState
from tests import store
from tests.conftest import SIGNING_SECRET, make_settings
from tests.dispute_support import (
    disputable_notice,
    dispute,
    dispute_request,
    reject_as_definition_miss,
)
from tests.harness import BotServer, wait_for
from tests.test_definition_intake import CRITERIA, FITS

LEADS, ALIGN = "C0LEADS", "C0ALIGN"
ANA, BEN, MANAGER = "U0REP1", "U0REP2", "U0MGR"
BERLIN = ZoneInfo("Europe/Berlin")
# Monday 9 March 2026, 10:00 in Berlin. With the default 24h SLA the lead is due
# Tuesday 10:00: due soon from 04:00, nudged at 06:00 (4h) and 09:00 (1h).
START = datetime(2026, 3, 9, 10, 0, tzinfo=BERLIN)
BASE_SLA: dict[str, Any] = {"on_duty": {"usergroup": "S0REPS"}, "escalate_to": MANAGER}
OFFICE = {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "17:00"}


def tuesday(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, 10, hour, minute, tzinfo=BERLIN)


def wednesday(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, 11, hour, minute, tzinfo=BERLIN)


def lead_body(n: int = 1) -> dict[str, Any]:
    return {
        "email": f"buyer{n}@example.com",
        "first_name": "Ana",
        "last_name": f"Buyer {n}",
        "company": "Acme GmbH",
        "title": "Head of Ops",
        "source": "webinar",
    }


class Sla:
    """One test's bot(s), clock and helpers."""

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

    def settings(self, **sla: Any) -> Settings:
        business = sla.pop("business_hours", None)
        team: dict[str, Any] = {"sla": {**BASE_SLA, **sla}}
        if business:
            team["sla"]["business_hours"] = business
        return make_settings(self.database_url, self.slack.api_url, **team)

    def start(self, settings: Settings | None = None, *, keep: bool = True) -> BotServer:
        bot = BotServer(settings or self.settings(), clock=self.clock)
        if keep:
            self.stack.enter_context(bot)
        else:
            bot.__enter__()
        assert bot.handoff is not None
        # One message a second per channel is Slack's pace, not the tests'.
        bot.handoff.services.outbox.ctx.pacer.interval = 0.0
        self.bot = self.bot or bot
        return bot

    def sender(self, bot: BotServer | None = None) -> InteractionSender:
        return InteractionSender(
            self.ws,
            bot_url=(bot or self.bot).url,  # type: ignore[union-attr]
            signing_secret=SIGNING_SECRET,
            response_base_url=self.slack.url,
        )

    def sweep(self, bot: BotServer | None = None) -> None:
        bot = bot or self.bot
        assert bot is not None and bot.handoff is not None
        services = bot.handoff.services
        bot.call(lambda: services.registry.jobs.run(JobName.SLA_SWEEP))

    def at(self, moment: datetime, bot: BotServer | None = None) -> None:
        """Set the clock and sweep, as the scheduler would at that moment."""
        self.clock.set(moment)
        self.sweep(bot)

    def post(
        self, n: int = 1, bot: BotServer | None = None, body: dict[str, Any] | None = None
    ) -> tuple[int, Message]:
        bot = bot or self.bot
        assert bot is not None
        lead_id = bot.post_leads(body or lead_body(n)).json()["id"]

        def card() -> Message | None:
            ts = store.lead(self.database_url, lead_id).message_ts
            return self.ws.message(LEADS, ts) if ts else None

        return lead_id, wait_for(card, what=f"card of lead {lead_id}")

    def click(self, user: str, card: Message, action: ActionId, expect: str) -> None:
        self.sender().click(user=user, channel=LEADS, ts=card.ts, action_id=action)
        self.card_says(card, expect)

    def card_says(self, card: Message, fragment: str) -> Message:
        def check() -> Message | None:
            message = self.ws.message(LEADS, card.ts)
            return message if message and fragment in text_of(message) else None

        return wait_for(check, what=f"card saying {fragment!r}")

    def dms(self, user: str) -> list[Message]:
        channel = self.ws.dm_channel(user)
        return self.ws.messages(channel) if channel else []

    def replies(self, card: Message, fragment: str = "") -> list[Message]:
        return [r for r in self.ws.replies(LEADS, card.ts) if fragment in r.text]

    def drained(self) -> None:
        """Wait until the outbox has nothing left to send (for asserting what did not happen)."""
        wait_for(
            lambda: all(m.state != OutboxState.PENDING for m in store.outbox(self.database_url)),
            what="the outbox to drain",
        )

    def idle(self) -> None:
        """Wait until the worker has handled all that is due now, before moving the clock.

        A message that fails is put back for `now + backoff`; moving a stopped
        clock before that happened would put it back past the new time.
        """
        wait_for(
            lambda: all(
                m.state != OutboxState.PENDING or m.not_before > self.clock.now()
                for m in store.outbox(self.database_url)
            ),
            what="the outbox to have nothing due",
        )

    def events(self, lead_id: int) -> list[str]:
        return [e.kind for e in store.events(self.database_url, lead_id)]

    def outbox_keys(self, prefix: str) -> list[str]:
        return sorted(
            m.dedup_key
            for m in store.outbox(self.database_url)
            if m.dedup_key and m.dedup_key.startswith(prefix)
        )


def text_of(message: Message) -> str:
    return repr(message.blocks) + message.text


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def sla(
    database_url: str, slack: FakeSlackServer, workspace: FakeWorkspace, clock: ManualClock
) -> Iterator[Sla]:
    with ExitStack() as stack:
        yield Sla(stack, database_url, slack, workspace, clock)


def test_each_nudge_offset_dms_the_claimer_once_with_the_buttons(sla: Sla) -> None:
    sla.start()
    lead_id, card = sla.post()
    sla.click(ANA, card, ActionId.CLAIM, f"Claimed by <@{ANA}>")
    assert store.lead(sla.database_url, lead_id).sla_next_at == tuesday(4, 0)

    sla.at(tuesday(4, 0))
    sla.card_says(card, "Due soon")
    sla.drained()
    assert sla.dms(ANA) == [], "due soon updates the card; it pings nobody"

    sla.at(tuesday(6, 0))
    first = wait_for(lambda: sla.dms(ANA), what="the 4h nudge DM")[0]
    assert "*4h left*" in text_of(first) and "Ana Buyer 1" in text_of(first)
    assert first.action_ids() == [ActionId.ACCEPT, ActionId.REJECT]
    assert f"archives/{LEADS}/p{card.ts.replace('.', '')}|Open the card>" in text_of(first)
    assert f"<!date^{int(tuesday(10).timestamp())}^" in text_of(first)
    sla.sweep()  # the same moment again, as a second replica or a late scheduler would
    sla.drained()
    assert len(sla.dms(ANA)) == 1

    sla.at(tuesday(9, 0))
    second = wait_for(lambda: sla.dms(ANA)[1:], what="the 1h nudge DM")[0]
    assert "*1h left*" in text_of(second)
    assert second.action_ids() == [ActionId.ACCEPT, ActionId.REJECT]
    # The older reminder no longer offers buttons; only the newest one does.
    superseded = wait_for(
        lambda: (m := sla.ws.message(first.channel, first.ts)) and not m.action_ids() and m,
        what="the 4h DM without buttons",
    )
    assert "newer reminder" in text_of(superseded)
    assert sla.replies(card, "unclaimed") == [], "a claimed lead is nudged by DM only"
    assert sla.events(lead_id) == ["posted", "claimed", "nudged", "nudged"]
    assert sla.outbox_keys("nudge:") == [f"nudge:{lead_id}:14400", f"nudge:{lead_id}:3600"]


def test_an_unclaimed_lead_gets_one_thread_reply_per_nudge_mentioning_on_duty(sla: Sla) -> None:
    sla.start()
    lead_id, card = sla.post()
    sla.at(tuesday(6, 0))
    reply = wait_for(lambda: sla.replies(card, "unclaimed"), what="the thread nudge")[0]
    assert reply.text.startswith(":alarm_clock: <!subteam^S0REPS> ")
    assert "due in *4h*" in reply.text
    sla.sweep()
    sla.at(tuesday(9, 0))
    wait_for(lambda: len(sla.replies(card, "unclaimed")) == 2, what="the 1h thread nudge")
    assert "due in *1h*" in sla.replies(card, "unclaimed")[1].text
    sla.drained()
    assert [m.ts for m in sla.ws.messages(LEADS)] == [card.ts], "never a new top-level message"
    assert len(sla.replies(card)) == 2
    assert sla.dms(ANA) == [] and sla.dms(BEN) == []
    assert sla.events(lead_id) == ["posted", "nudged", "nudged"]


def test_breach_marks_the_card_overdue_and_escalates_once(sla: Sla) -> None:
    sla.start()
    lead_id, card = sla.post()
    sla.click(ANA, card, ActionId.CLAIM, "Claimed by")
    sla.at(tuesday(10, 0))
    overdue = sla.card_says(card, "Overdue")
    assert f"Claimed by <@{ANA}>" in text_of(overdue)
    escalation = wait_for(lambda: sla.dms(MANAGER), what="the escalation DM")
    assert "Response deadline missed" in text_of(escalation[0])
    assert f"Claimed by <@{ANA}>, not yet accepted or rejected" in text_of(escalation[0])
    assert "Open the card" in text_of(escalation[0])
    for later in (timedelta(0), timedelta(minutes=1), timedelta(days=2)):
        sla.at(tuesday(10, 0) + later)
    sla.drained()
    assert len(sla.dms(MANAGER)) == 1
    assert sla.dms(ANA) == [], "the nudges whose moment passed with the deadline are skipped"
    assert sla.events(lead_id) == ["posted", "claimed", "breached"]
    breach = store.events(sla.database_url, lead_id)[-1]
    assert breach.detail == {
        "due_at": tuesday(10).astimezone(UTC).isoformat(),
        "owner_id": ANA,
        "released": False,
    }
    assert store.lead(sla.database_url, lead_id).sla_next_at is None


def test_catch_up_after_downtime(sla: Sla) -> None:
    settings = sla.settings()
    bot = sla.start(settings, keep=False)
    lead_id, card = sla.post(bot=bot)
    sla.click(ANA, card, ActionId.CLAIM, "Claimed by")
    bot.__exit__(None, None, None)

    # Down through the 4h nudge: the first sweep after start-up sends it late.
    sla.clock.set(tuesday(8, 0))
    with BotServer(settings, clock=sla.clock):
        late = wait_for(lambda: sla.dms(ANA), what="the late 4h nudge")
        assert "*2h left*" in text_of(late[0])
    # Down through the 1h nudge and the deadline: only the breach.
    sla.clock.set(tuesday(12, 0))
    with BotServer(settings, clock=sla.clock):
        wait_for(lambda: sla.dms(MANAGER), what="the escalation after downtime")
        sla.card_says(card, "Overdue")
        sla.drained()
    assert len(sla.dms(ANA)) == 1 and len(sla.dms(MANAGER)) == 1
    assert sla.events(lead_id) == ["posted", "claimed", "nudged", "breached"]
    assert sla.outbox_keys("nudge:") == [f"nudge:{lead_id}:14400"]


def test_a_friday_evening_lead_is_due_on_the_right_business_day(sla: Sla) -> None:
    # A 24 business-hour SLA with 09:00-17:00 hours: Wednesday 17:00, not Saturday evening.
    sla.clock.set(datetime(2026, 3, 6, 18, 0, tzinfo=BERLIN))
    sla.start(sla.settings(business_hours=OFFICE))
    lead_id, card = sla.post()
    due = datetime(2026, 3, 11, 17, 0, tzinfo=BERLIN)
    assert store.lead(sla.database_url, lead_id).due_at == due
    assert f"respond by <!date^{int(due.timestamp())}^" in text_of(card)


def test_quiet_hours_hold_a_nudge_until_the_next_opening(sla: Sla) -> None:
    # Monday 16:30 with a 2h SLA: due Tuesday 10:30. The 4h nudge (06:30) is in
    # quiet hours and waits for the 09:00 opening; the 1h nudge is at 09:30.
    sla.clock.set(datetime(2026, 3, 9, 16, 30, tzinfo=BERLIN))
    sla.start(sla.settings(respond_within="2h", business_hours=OFFICE))
    lead_id, card = sla.post()
    assert store.lead(sla.database_url, lead_id).due_at == tuesday(10, 30)
    sla.at(tuesday(6, 30))
    sla.drained()
    assert sla.replies(card) == []
    assert store.lead(sla.database_url, lead_id).sla_next_at == tuesday(9, 0)
    sla.at(tuesday(9, 0))
    first = wait_for(lambda: sla.replies(card, "unclaimed"), what="the held nudge")[0]
    assert "due in *1h30m*" in first.text
    sla.at(tuesday(9, 30))
    wait_for(lambda: len(sla.replies(card, "unclaimed")) == 2, what="the 1h nudge")
    assert "due in *1h*" in sla.replies(card, "unclaimed")[1].text


def test_a_lead_decided_before_its_nudge_gets_none(sla: Sla) -> None:
    sla.start()
    lead_id, card = sla.post(1)
    other_id, other = sla.post(2)
    for each in (card, other):
        sla.click(ANA, each, ActionId.CLAIM, "Claimed by")
    # Accepted a second before the nudge: the clock has stopped for it.
    sla.clock.set(tuesday(5, 59))
    sla.click(ANA, card, ActionId.ACCEPT, "Accepted as SQL")
    assert store.lead(sla.database_url, lead_id).sla_next_at is None
    # The other one is decided after its nudge was queued but before it went out.
    sla.ws.set_down(True)
    sla.at(tuesday(6, 0))
    wait_for(
        lambda: [c for c in sla.ws.calls("chat.postMessage") if c.args.get("channel") == ANA],
        what="a failed nudge attempt",
    )
    sla.sender().click(user=ANA, channel=LEADS, ts=other.ts, action_id=ActionId.ACCEPT)
    wait_for(lambda: store.lead(sla.database_url, other_id).state == "accepted", what="the accept")
    sla.idle()
    sla.ws.set_down(False)
    sla.clock.set(tuesday(6, 5))  # past the outbox's backoff
    sla.card_says(other, "Accepted as SQL")
    sla.drained()
    assert sla.dms(ANA) == []
    nudges = [m for m in store.outbox(sla.database_url) if m.kind == "sla_nudge"]
    assert [(m.lead_id, m.state) for m in nudges] == [(other_id, "dropped")]
    assert "decided before the nudge" in (nudges[0].last_error or "")
    assert sla.events(lead_id) == ["posted", "claimed", "accepted"]


def test_accept_in_the_dm_updates_the_channel_card_and_the_dm(sla: Sla) -> None:
    sla.start()
    lead_id, card = sla.post()
    sla.click(ANA, card, ActionId.CLAIM, "Claimed by")
    sla.at(tuesday(6, 0))
    dm = wait_for(lambda: sla.dms(ANA), what="the nudge DM")[0]
    response = sla.sender().click_in_dm(user=ANA, action_id=ActionId.ACCEPT, ts=dm.ts)
    assert response.status_code == 200
    sla.card_says(card, f"Accepted as SQL by <@{ANA}>")
    wait_for(lambda: sla.replies(card, "accepted this lead"), what="the thread reply")
    done = wait_for(
        lambda: (m := sla.ws.message(dm.channel, dm.ts)) and not m.action_ids() and m,
        what="the DM without its buttons",
    )
    assert "was accepted as SQL by" in text_of(done)
    assert store.lead(sla.database_url, lead_id).state == "accepted"
    # A later sweep finds nothing to do for a decided lead.
    sla.at(tuesday(10, 0))
    sla.drained()
    assert sla.dms(MANAGER) == []
    assert sla.events(lead_id) == ["posted", "claimed", "nudged", "accepted"]


def test_a_new_claimer_gets_the_next_nudge_and_the_old_dm_keeps_its_story(sla: Sla) -> None:
    sla.start()
    _, card = sla.post()
    sla.click(ANA, card, ActionId.CLAIM, f"Claimed by <@{ANA}>")
    sla.at(tuesday(6, 0))
    ana_dm = wait_for(lambda: sla.dms(ANA), what="Ana's nudge")[0]
    sla.click(ANA, card, ActionId.RELEASE, "Unclaimed")
    wait_for(
        lambda: "unclaimed again" in text_of(sla.ws.message(ana_dm.channel, ana_dm.ts)),  # type: ignore[arg-type]
        what="Ana's DM told of the release",
    )
    sla.click(BEN, card, ActionId.CLAIM, f"Claimed by <@{BEN}>")
    sla.at(tuesday(9, 0))
    ben_dm = wait_for(lambda: sla.dms(BEN), what="Ben's nudge")[0]
    assert "*1h left*" in text_of(ben_dm) and ben_dm.action_ids() == [
        ActionId.ACCEPT,
        ActionId.REJECT,
    ]
    sla.drained()
    old = sla.ws.message(ana_dm.channel, ana_dm.ts)
    assert old is not None and old.action_ids() == []
    assert f"is claimed by <@{BEN}>" in text_of(old) and "newer reminder" not in text_of(old)


def test_reject_in_the_dm_opens_the_modal_and_updates_the_card(sla: Sla) -> None:
    sla.start()
    lead_id, card = sla.post()
    sla.click(ANA, card, ActionId.CLAIM, "Claimed by")
    sla.at(tuesday(9, 0))
    dm = wait_for(lambda: sla.dms(ANA), what="the nudge DM")[0]
    sender = sla.sender()
    sender.click_in_dm(user=ANA, action_id=ActionId.REJECT, ts=dm.ts)
    view = wait_for(lambda: sla.ws.open_views(ANA), what="the reject modal")[-1]
    sender.submit_view(
        user=ANA,
        view_id=view.id,
        values={BlockId.REJECT_REASON: {ActionId.REJECT_REASON: "no_budget"}},
    )
    sla.card_says(card, f"Rejected by <@{ANA}>")
    done = wait_for(
        lambda: (m := sla.ws.message(dm.channel, dm.ts)) and not m.action_ids() and m,
        what="the DM without its buttons",
    )
    assert "No budget or too small" in text_of(done)
    assert store.lead(sla.database_url, lead_id).sla_next_at is None


def test_breach_can_release_the_claim_and_escalate_to_a_channel(sla: Sla) -> None:
    sla.start(sla.settings(escalate_to=ALIGN, reassign_on_breach=True))
    lead_id, card = sla.post()
    sla.click(ANA, card, ActionId.CLAIM, "Claimed by")
    sla.at(tuesday(9, 0))
    dm = wait_for(lambda: sla.dms(ANA), what="the nudge DM")[0]
    sla.at(tuesday(10, 0))
    reopened = sla.card_says(card, "Unclaimed")
    assert "Overdue" in text_of(reopened) and ActionId.CLAIM in reopened.action_ids()
    note = wait_for(lambda: sla.replies(card, "claim was released"), what="the release note")
    assert f"<@{ANA}>" in note[0].text and "<!subteam^S0REPS>" in note[0].text
    escalation = wait_for(lambda: sla.ws.messages(ALIGN), what="the escalation in the channel")
    assert "the claim was released" in text_of(escalation[0])
    wait_for(
        lambda: (m := sla.ws.message(dm.channel, dm.ts)) and "unclaimed again" in text_of(m),
        what="the DM told the claim is gone",
    )
    assert sla.ws.message(dm.channel, dm.ts).action_ids() == []  # type: ignore[union-attr]
    assert sla.dms(MANAGER) == []
    assert sla.events(lead_id) == ["posted", "claimed", "nudged", "breached", "sla_released"]
    sla.click(BEN, card, ActionId.CLAIM, f"Claimed by <@{BEN}>")


def test_a_claimer_who_cannot_get_a_dm_is_covered_in_the_thread(sla: Sla) -> None:
    sla.start()
    _, card = sla.post()
    sla.click(ANA, card, ActionId.CLAIM, "Claimed by")
    sla.ws.set_user_deleted(ANA)
    sla.at(tuesday(6, 0))
    reply = wait_for(lambda: sla.replies(card, "can't be reached"), what="the thread nudge")[0]
    assert f"<@{ANA}>" in reply.text and "<!subteam^S0REPS>" in reply.text


def test_rate_limits_and_server_errors_are_retried_and_sent_once(sla: Sla) -> None:
    sla.start()
    lead_id, card = sla.post()
    sla.click(ANA, card, ActionId.CLAIM, "Claimed by")
    sla.drained()
    sla.ws.faults.inject("chat.postMessage", status=429, retry_after=1, times=1)
    sla.at(tuesday(6, 0))

    def dm_posts() -> list[int]:
        calls = sla.ws.calls("chat.postMessage")
        return [c.http_status for c in calls if c.args.get("channel") == ANA]

    wait_for(lambda: dm_posts() == [429], what="the rate-limited nudge")
    sla.idle()
    sla.clock.set(tuesday(6, 0) + timedelta(seconds=2))  # past Retry-After
    wait_for(lambda: sla.dms(ANA), what="the nudge after the 429")
    sla.drained()
    assert dm_posts() == [429, 200] and len(sla.dms(ANA)) == 1

    sla.ws.faults.inject("chat.postMessage", status=500, times=1)
    sla.at(tuesday(10, 0))
    wait_for(
        lambda: [c for c in sla.ws.calls("chat.postMessage") if c.http_status == 500],
        what="the failed escalation",
    )
    sla.idle()
    sla.clock.set(tuesday(10, 1))  # past the backoff
    wait_for(lambda: sla.dms(MANAGER), what="the escalation after the 500")
    sla.sweep()
    sla.drained()
    assert len(sla.dms(MANAGER)) == 1 and len(sla.dms(ANA)) == 1
    assert sla.events(lead_id) == ["posted", "claimed", "nudged", "breached"]


def test_a_lead_whose_step_fails_does_not_stop_the_clock_for_the_others(
    sla: Sla, monkeypatch: pytest.MonkeyPatch
) -> None:
    sla.start()
    broken_id, broken = sla.post(1)
    _, healthy = sla.post(2)
    real = sla_sweep_module.take_due_steps

    async def failing_for_one(session: Any, **kwargs: Any) -> bool:
        if kwargs["lead_id"] == broken_id:
            raise RuntimeError("a bug in one lead's step")
        return await real(session, **kwargs)

    monkeypatch.setattr(sla_sweep_module, "take_due_steps", failing_for_one)
    sla.at(tuesday(6, 0))
    wait_for(lambda: sla.replies(healthy, "unclaimed"), what="the healthy lead's nudge")
    assert sla.replies(broken) == []
    assert store.lead(sla.database_url, broken_id).sla_next_at == tuesday(4, 0), "kept for a retry"
    monkeypatch.setattr(sla_sweep_module, "take_due_steps", real)
    sla.sweep()
    wait_for(lambda: sla.replies(broken, "unclaimed"), what="the retried nudge")


def test_two_bots_sweeping_one_database_send_each_nudge_once(sla: Sla) -> None:
    settings = sla.settings()
    one, two = sla.start(settings), sla.start(settings)
    cards = [sla.post(n, bot=one) for n in range(1, 7)]
    claimed = cards[:3]
    for _, card in claimed:
        sla.click(ANA, card, ActionId.CLAIM, "Claimed by")

    def both_sweep(moment: datetime) -> None:
        sla.clock.set(moment)
        barrier = threading.Barrier(2)
        errors: list[BaseException] = []

        def run(bot: BotServer) -> None:
            barrier.wait()
            try:
                for _ in range(3):
                    sla.sweep(bot)
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=run, args=(bot,)) for bot in (one, two)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []

    both_sweep(tuesday(6, 0))
    wait_for(lambda: len(sla.dms(ANA)) == 3, what="three DMs")
    for _, card in cards[3:]:
        wait_for(lambda c=card: sla.replies(c, "unclaimed"), what="a thread nudge")
    both_sweep(tuesday(10, 0))
    wait_for(lambda: len(sla.dms(MANAGER)) == 6, what="six escalations")
    sla.drained()
    assert len(sla.dms(ANA)) == 3
    assert all(len(sla.replies(card, "unclaimed")) == 1 for _, card in cards[3:])
    for lead_id, _ in cards:
        kinds = sla.events(lead_id)
        assert kinds.count("nudged") == 1 and kinds.count("breached") == 1, kinds
    assert len(sla.outbox_keys("breach:")) == 6 and len(sla.outbox_keys("nudge:")) == 6


def test_an_overturned_lead_gets_a_fresh_window_with_its_own_nudges_and_breach(sla: Sla) -> None:
    """An overturn hands the lead back to sales: a whole window from that moment, nudged and
    breached once each, and the first clock's steps neither repeated nor in the way."""
    definition = {"criteria": CRITERIA, "review": {"enabled": False}}  # the admin decides
    sla.start(
        make_settings(
            sla.database_url,
            sla.slack.api_url,
            sla={**BASE_SLA, "escalate_to": ALIGN},
            mql_definition=definition,
        )
    )
    lead_id, card = sla.post(body=FITS)
    sla.click(ANA, card, ActionId.CLAIM, f"Claimed by <@{ANA}>")
    sla.at(tuesday(6, 0))
    wait_for(lambda: sla.dms(ANA), what="the first clock's 4h nudge")

    sla.clock.set(tuesday(7, 0))
    reject_as_definition_miss(sla.sender(), sla.ws, user=ANA, card=card)
    sla.card_says(card, f"Rejected by <@{ANA}>")
    dispute(sla.sender(), sla.ws, disputable_notice(sla.ws, "Ana"))
    request = dispute_request(sla.ws, MANAGER)
    sla.clock.set(tuesday(8, 0))
    sla.sender().click(
        user=MANAGER, channel=request.channel, ts=request.ts, action_id=ActionId.DISPUTE_OVERTURN
    )
    sla.card_says(card, "Unclaimed")
    # The default 24h from the overturn: due Wednesday 08:00, due soon from 02:00.
    lead = store.lead(sla.database_url, lead_id)
    assert (lead.state, lead.sla_started_at, lead.due_at, lead.sla_next_at, lead.sla_round) == (
        "open",
        tuesday(8, 0),
        wednesday(8, 0),
        wednesday(2, 0),
        1,
    )
    assert f"respond by <!date^{int(wednesday(8).timestamp())}^" in text_of(
        sla.card_says(card, "Unclaimed")
    )
    sla.click(BEN, card, ActionId.CLAIM, f"Claimed by <@{BEN}>")

    # The first clock's 1h nudge and deadline pass: that clock stopped at the rejection.
    sla.at(tuesday(9, 0))
    sla.at(tuesday(10, 0))
    sla.drained()
    assert sla.dms(BEN) == [] and sla.ws.messages(ALIGN) == []
    assert "Overdue" not in text_of(sla.ws.message(LEADS, card.ts))  # type: ignore[arg-type]

    sla.at(wednesday(2, 0))
    sla.card_says(card, "Due soon")
    sla.at(wednesday(4, 0))
    first = wait_for(lambda: sla.dms(BEN), what="the new clock's 4h nudge")[0]
    assert "*4h left*" in text_of(first)
    sla.at(wednesday(7, 0))
    second = wait_for(lambda: sla.dms(BEN)[1:], what="the new clock's 1h nudge")[0]
    assert "*1h left*" in text_of(second)
    for later in (timedelta(0), timedelta(0), timedelta(minutes=1), timedelta(days=2)):
        sla.at(wednesday(8, 0) + later)
    sla.card_says(card, "Overdue")
    escalation = wait_for(lambda: sla.ws.messages(ALIGN), what="the new clock's breach")
    sla.drained()

    assert len(escalation) == len(sla.ws.messages(ALIGN)) == 1
    assert "Response deadline missed" in text_of(escalation[0])
    assert len(sla.dms(BEN)) == 2
    assert len(sla.dms(ANA)) == 1, "the first clock's one nudge (since rewritten), no repeat"
    assert sla.events(lead_id) == [
        *("posted", "claimed", "nudged", "rejected", "dispute_opened", "dispute_overturned"),
        *("claimed", "nudged", "nudged", "breached"),
    ]
    # The first clock's keys are as before; the second clock's name its round.
    assert sla.outbox_keys("nudge:") == [
        f"nudge:{lead_id}:14400",
        f"nudge:{lead_id}:14400:round:1",
        f"nudge:{lead_id}:3600:round:1",
    ]
    assert sla.outbox_keys("breach:") == [f"breach:{lead_id}:round:1"]
    assert sla.outbox_keys("sla-card:") == [
        f"sla-card:{lead_id}:due_soon",
        f"sla-card:{lead_id}:due_soon:round:1",
        f"sla-card:{lead_id}:overdue:round:1",
    ]
