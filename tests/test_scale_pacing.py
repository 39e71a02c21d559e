"""Replicas share Slack's per-channel budget through the store.

Two bots on one database post to one channel while the fake workspace enforces
Slack's limit on chat.postMessage (one a second per channel, bursts of three,
429 beyond). Paced each on its own, two bots post twice as fast as allowed; paced
through the store, they meet no 429. A 429 met by one pauses the channel for both.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from bot.runtime.pacing import ChannelPacer
from bot.sandbox.fake_slack import FakeSlackServer, FakeWorkspace, PostRateLimit
from bot.settings import Settings
from storage.database import Database
from tests.conftest import make_settings
from tests.harness import BotServer, wait_for

LEADS = "C0LEADS"


def lead(n: int) -> dict[str, str]:
    return {"email": f"buyer{n}@example.com", "source": "webinar", "company": f"Acme {n}"}


def refused_posts(workspace: FakeWorkspace) -> int:
    return sum(1 for c in workspace.calls("chat.postMessage") if c.http_status == 429)


@pytest.fixture
def replicas(database_url: str, slack: FakeSlackServer) -> Iterator[tuple[BotServer, BotServer]]:
    settings: Settings = make_settings(database_url, slack.api_url)
    with BotServer(settings) as first, BotServer(settings) as second:
        yield first, second


def test_the_fake_answers_429_beyond_one_a_second_after_a_burst_of_three() -> None:
    now = [100.0]
    limit = PostRateLimit(per_second=1.0, burst=3, clock=lambda: now[0])
    assert [limit.admit("C1") for _ in range(3)] == [None, None, None]
    assert limit.admit("C1") == 1  # the fourth at once: wait a second
    assert limit.admit("C2") is None  # the limit is per channel
    now[0] += 1.0
    assert limit.admit("C1") is None
    assert limit.admit("C1") == 1
    assert limit.refused == 2


def test_two_replicas_posting_to_one_channel_stay_within_slacks_rate(
    workspace: FakeWorkspace, replicas: tuple[BotServer, BotServer]
) -> None:
    workspace.limit_post_rate(per_second=1.0, burst=3)
    count = 8
    for n in range(count):
        assert replicas[n % 2].post_leads(lead(n)).status_code == 201

    wait_for(lambda: len(workspace.messages(LEADS)) >= count, timeout=60, what="every card")
    for bot in replicas:
        bot.drain()

    assert refused_posts(workspace) == 0
    cards = [m for m in workspace.messages(LEADS) if m.thread_ts is None]
    assert sorted(m.text for m in cards) == sorted({m.text for m in cards})
    assert len(cards) == count


def test_a_429_met_by_one_replica_pauses_the_channel_for_the_other(
    workspace: FakeWorkspace, replicas: tuple[BotServer, BotServer]
) -> None:
    first, second = replicas
    workspace.faults.inject("chat.postMessage", status=429, retry_after=3, channel=LEADS)
    assert first.post_leads(lead(1)).status_code == 201
    wait_for(lambda: refused_posts(workspace) == 1, what="the 429")
    refused_at = next(c.at for c in workspace.calls("chat.postMessage") if c.http_status == 429)

    assert second.handoff is not None
    pacer = second.handoff.services.outbox.ctx.pacer
    # The first replica records the pause just after Slack's answer; the second sees it.
    wait_for(lambda: second.call(lambda: pacer.paused_for(LEADS)) > 1.5, what="the pause")

    assert second.post_leads(lead(2)).status_code == 201
    wait_for(lambda: len(workspace.messages(LEADS)) == 2, timeout=30, what="both cards")
    posted = [c.at for c in workspace.calls("chat.postMessage") if c.ok]
    assert min(posted) >= refused_at + 3.0 - 0.05  # nobody posted before Retry-After ran out
    assert refused_posts(workspace) == 1


@pytest.mark.asyncio
async def test_concurrent_takers_get_one_slot_each_a_second_apart(database_url: str) -> None:
    db = Database(database_url)
    clock = [1_000.0]
    pacers = [ChannelPacer(db, now=lambda: clock[0]) for _ in range(3)]

    async def take(pacer: ChannelPacer) -> bool:
        taken, when = await pacer._take(LEADS)
        return taken and when == clock[0]

    try:
        await pacers[0]._take(LEADS)  # adds the channel's row
        first = await asyncio.gather(*(take(p) for p in pacers))
        clock[0] += 1.0
        second = await asyncio.gather(*(take(p) for p in pacers))
        clock[0] += 0.7  # the next slot is 0.3 s away: taken ahead, posted at its moment
        ahead = await pacers[0]._take(LEADS)
        await pacers[1].pause(LEADS, 10.0)
        clock[0] += 5.0
        during_pause = await asyncio.gather(*(take(p) for p in pacers))
        waits = await pacers[2].paused_for(LEADS)
    finally:
        await db.dispose()
    assert sorted(first) == [False, False, True]
    assert sorted(second) == [False, False, True]
    assert ahead == (True, 1_002.0)
    assert during_pause == [False, False, False]
    assert 4.0 < waits <= 5.0
