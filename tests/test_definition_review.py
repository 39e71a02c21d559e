"""The monthly definition review: its day, its suggestions by hand, once per month.

Suggestions are worked out on tests/test_definition_quality.py's dataset over the
90 days before 10 April 2025 (which takes in L9 from February):
graded L1-L5 and L9: 3 accepted (L1, L4, L9), 2 rejected, 2 won (L1, L4).
The current definition passes L1, L2, L9: 2 accepted, 1 rejected (67%), 1 won.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.definition.review import due_month, suggestions
from bot.runtime.jobs import JobName
from bot.sandbox.fake_slack import FakeSlackServer, FakeWorkspace
from bot.settings import TeamConfig
from bot.settings.definition import DefinitionReview
from bot.timekeeping.clock import ManualClock
from storage.database import Database
from tests.conftest import make_settings
from tests.harness import BotServer
from tests.test_definition_quality import NOW, TEAM_CONFIG, seeded

__all__ = ["seeded"]
BERLIN = ZoneInfo("Europe/Berlin")


def test_the_review_is_due_from_its_day_and_time_on() -> None:
    review = DefinitionReview(day=3, at=time(9, 0))
    assert due_month(datetime(2025, 4, 2, 12, tzinfo=UTC), review, BERLIN) is None
    assert due_month(datetime(2025, 4, 3, 6, 59, tzinfo=UTC), review, BERLIN) is None
    assert due_month(datetime(2025, 4, 3, 7, 0, tzinfo=UTC), review, BERLIN) == "2025-04"
    # Down on the day: it catches up later that month.
    assert due_month(datetime(2025, 4, 20, tzinfo=UTC), review, BERLIN) == "2025-04"
    # The local month: 23:30 UTC on 30 April is 1 May in Berlin.
    late = DefinitionReview(day=1, at=time(0, 0))
    assert due_month(datetime(2025, 4, 30, 23, 30, tzinfo=UTC), late, BERLIN) == "2025-05"


def team_with(**review: object) -> TeamConfig:
    definition = TEAM_CONFIG.mql_definition
    changed = definition.review.model_copy(update=review)
    return TEAM_CONFIG.model_copy(
        update={"mql_definition": definition.model_copy(update={"review": changed})}
    )


def suggest(database_url: str, team: TeamConfig) -> object:
    async def work() -> object:
        db = Database(database_url)
        try:
            return await suggestions(db, team, NOW)
        finally:
            await db.dispose()

    return asyncio.run(work())


def test_suggestions_by_hand(seeded: str) -> None:
    result = suggest(seeded, team_with())
    current = result.current  # type: ignore[attr-defined]
    assert (current.leads, current.accepted, current.rejected, current.won) == (3, 2, 1, 1)
    # Keeping 80% of accepted and 90% of won: only dropping region (L1 L2 L4 L9, 3 of 4).
    (only,) = result.found  # type: ignore[attr-defined]
    assert only.change == "-region"
    assert (only.report.changed.accepted, only.report.changed.rejected) == (3, 1)
    assert only.report.changed.won == 2
    looser = suggest(seeded, team_with(keep_accepted=0.4, keep_won=0))
    # score>=80 passes L1 alone (100%); -region 75%; nothing else beats 67%.
    assert [s.change for s in looser.found] == ["score>=80", "-region"]  # type: ignore[attr-defined]


@pytest.fixture
def review_settings(seeded: str, slack: FakeSlackServer) -> object:
    definition = TEAM_CONFIG.mql_definition.model_dump(exclude_none=True)
    definition["managers"] = {"users": ["U0MGR"]}
    definition["review"] = {"day": 10, "at": "09:00"}
    return make_settings(seeded, slack.api_url, mql_definition=definition)


def run_review(bot: BotServer) -> None:
    assert bot.handoff is not None
    jobs = bot.handoff.services.registry.jobs
    bot.call(lambda: jobs.run(JobName.DEFINITION_REVIEW))


def test_once_per_month_across_replicas_and_restarts(
    review_settings: object, workspace: FakeWorkspace
) -> None:
    clock = ManualClock(NOW)  # 10 April 2025 14:00 Berlin: the review's day, after 09:00
    with (
        BotServer(review_settings, clock=clock) as one,
        BotServer(  # type: ignore[arg-type]
            review_settings,  # type: ignore[arg-type]
            clock=clock,
        ) as two,
    ):
        run_review(one)
        run_review(two)
        run_review(one)
        one.drain()
        two.drain()
    with BotServer(review_settings, clock=clock) as restarted:  # type: ignore[arg-type]
        run_review(restarted)
        restarted.drain()
    (post,) = workspace.messages("C0MKTG")
    text = post.text + repr(post.blocks)
    assert "MQL definition review 2025-04" in text
    assert "-region" in text and "Suggestions only" in text
    dm = workspace.dm_channel("U0MGR")
    assert dm is not None and len(workspace.messages(dm)) == 1
