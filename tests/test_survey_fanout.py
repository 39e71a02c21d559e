"""Asking 200 reps: every one gets exactly one DM, through a rate limit in the middle."""

from __future__ import annotations

from typing import Any

from bot.sandbox.fake_slack import FakeWorkspace
from bot.timekeeping.clock import ManualClock
from storage.kinds import OutboxKind
from storage.outbox import OutboxState
from tests.harness import BotServer, wait_for
from tests.survey_support import OPENS, dms, outbox, recipients, survey_settings, sweep

REPS = [f"U0R{n:03d}" for n in range(200)]
LIMITED = REPS[100]
CONCURRENCY = 4  # the outbox worker's


def test_two_hundred_reps_each_get_one_dm_through_a_429(
    database_url: str, slack: Any, workspace: FakeWorkspace
) -> None:
    for user_id in REPS:
        workspace.add_user(id=user_id, name=user_id.lower())
    workspace.add_user(id="U0HELPER", name="helper-bot", is_bot=True)
    workspace.add_user(id="U0LEFT", name="left", deleted=True)
    workspace.add_usergroup(id="S0MANY", handle="field-sales", users=REPS[:150])
    workspace.add_channel(
        id="C0FIELD", name="field-sales", members=[*REPS[120:], "U0HELPER", "U0LEFT"]
    )
    workspace.faults.inject("chat.postMessage", status=429, retry_after=1, channel=LIMITED)
    # A running clock: the 429 is retried after Retry-After in real seconds.
    clock = ManualClock(OPENS, running=True)
    settings = survey_settings(
        database_url, slack.api_url, reps={"usergroup": "S0MANY"}, reps_channel="C0FIELD"
    )
    with BotServer(settings, clock=clock) as bot:
        sweep(bot)
        # Watch Slack (cheap) until everyone has a DM, then the database once.
        wait_for(
            lambda: all(workspace.dm_channel(u) and dms(workspace, u) for u in REPS),
            timeout=60,
            what="a DM to each of 200 reps",
        )
        wait_for(
            lambda: all(
                m.state == OutboxState.SENT for m in outbox(database_url, OutboxKind.SURVEY_DM)
            ),
            what="all 200 DMs marked sent",
        )
        sweep(bot)

    assert sorted(r.user_id for r in recipients(database_url)) == REPS
    assert all(r.dm_sent_at and r.dm_ts for r in recipients(database_url))
    assert len(outbox(database_url, OutboxKind.SURVEY_DM)) == 200
    assert all(len(dms(workspace, user)) == 1 for user in REPS)
    for other in ("U0HELPER", "U0LEFT"):
        assert workspace.dm_channel(other) is None

    posts = workspace.calls("chat.postMessage")
    assert [c.http_status for c in posts].count(429) == 1
    assert sum(c.ok for c in posts) == 200
    limited = [c for c in posts if c.channel in (LIMITED, workspace.dm_channel(LIMITED))]
    assert [c.http_status for c in limited] == [429, 200]
    assert limited[1].at - limited[0].at >= 0.95, "waited for Retry-After"
    # The 429 pauses every survey DM, not only that rep's: only posts already on
    # their way when it arrived may land inside the Retry-After second.
    during = [c for c in posts if limited[0].at < c.at < limited[0].at + 0.9]
    assert len(during) <= CONCURRENCY - 1, during
    assert len(posts) == 201
