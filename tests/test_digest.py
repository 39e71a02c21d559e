"""The weekly digest: its schedule, once per week across replicas and restarts, its chart.

The team's digest is due on Mondays at 09:00 Europe/Berlin, which in March
2025 is 08:00 UTC. The dataset (tests/feedback_data.py) fills week 2025-W10,
the week a Monday 10 March digest reports on.
"""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from bot.cli import main as cli
from bot.feedback.digest import due_week
from bot.runtime.jobs import JobName
from bot.sandbox.fake_slack import FakeSlackServer, FakeWorkspace, Message
from bot.settings import DigestConfig, Settings
from bot.timekeeping.clock import ManualClock
from storage.feedback_models import DigestPost
from tests import store
from tests.conftest import BOT_TOKEN, INTAKE_TOKEN, SIGNING_SECRET, TEAM, make_settings
from tests.feedback_data import BERLIN, seed, seeded, with_db
from tests.harness import BotServer, wait_for

__all__ = ["seeded"]
ALIGN = "C0ALIGN"
MONDAY_0859 = datetime(2025, 3, 10, 7, 59, tzinfo=UTC)
MONDAY_0900 = datetime(2025, 3, 10, 8, 0, tzinfo=UTC)


def digest_settings(database_url: str, slack: FakeSlackServer) -> Settings:
    return make_settings(database_url, slack.api_url, digest={"enabled": True})


def sweep(bot: BotServer) -> None:
    services = bot.handoff.services  # type: ignore[union-attr]
    bot.call(lambda: services.registry.jobs.run(JobName.WEEKLY_DIGEST))


def posts(database_url: str) -> list[DigestPost]:
    async def query(db: Any) -> list[DigestPost]:
        from sqlmodel import select

        async with db.session() as session:
            return list((await session.exec(select(DigestPost).order_by(DigestPost.id))).all())

    return asyncio.run(with_db(database_url, query))


def the_digest(workspace: FakeWorkspace) -> tuple[Message, list[Message]]:
    """The digest message once its thread reply and chart are both there."""

    def complete() -> tuple[Message, list[Message]] | None:
        messages = workspace.messages(ALIGN)
        if not messages:
            return None
        replies = workspace.replies(ALIGN, messages[0].ts)
        if len(replies) < 2:
            return None
        return messages[0], replies

    return wait_for(complete, timeout=20, what="the digest, its details and its chart")


def test_due_only_on_the_day_at_or_after_the_time() -> None:
    monday = DigestConfig()
    assert due_week(MONDAY_0859, monday, BERLIN) is None
    week = due_week(MONDAY_0900, monday, BERLIN)
    assert week is not None and week.key == "2025-W10"
    assert (week.start, week.end) == (
        datetime(2025, 3, 2, 23, 0, tzinfo=UTC),
        datetime(2025, 3, 9, 23, 0, tzinfo=UTC),
    )
    late_monday = datetime(2025, 3, 10, 22, 59, tzinfo=UTC)  # 23:59 local
    assert due_week(late_monday, monday, BERLIN) is not None
    assert due_week(late_monday + timedelta(minutes=1), monday, BERLIN) is None  # Tuesday
    friday = DigestConfig(day="fri", at=clock_time(16, 30))
    assert due_week(datetime(2025, 3, 14, 15, 29, tzinfo=UTC), friday, BERLIN) is None
    week = due_week(datetime(2025, 3, 14, 15, 30, tzinfo=UTC), friday, BERLIN)
    assert week is not None and week.key == "2025-W10"  # still the last full week


def test_not_before_monday_0900_then_once_with_details_and_chart(
    seeded: str, slack: FakeSlackServer, workspace: FakeWorkspace
) -> None:
    clock = ManualClock(MONDAY_0859)
    with BotServer(digest_settings(seeded, slack), clock=clock) as bot:
        sweep(bot)
        assert posts(seeded) == [] and workspace.messages(ALIGN) == []

        clock.set(MONDAY_0900)
        sweep(bot)
        main, replies = the_digest(workspace)
        for _ in range(3):
            clock.advance(timedelta(minutes=20))
            sweep(bot)

    assert main.text == "Weekly lead digest, 2025-W10: 8 MQLs, 40% accepted"
    shown = repr(main.blocks)
    assert "Weekly lead digest · 2025-W10" in shown
    assert "\u25b2 +7 (+700%)" in shown and "57% (4 of 7 met)" in shown
    assert "Top rejection reason: *Not our ideal customer profile*" in shown
    assert "Best source: *webinar* (67% accepted)" in shown
    details, chart = replies
    assert "Top rejection reasons" in details.text + repr(details.blocks)
    assert "Wrong industry" in repr(details.blocks)  # one representative comment
    assert "Sources by won amount* (EUR)" in repr(details.blocks)
    assert "Open past their deadline* · 2" in repr(details.blocks)  # L4, L5
    (file,) = workspace.files
    assert file.name == "mqls-2025-W10.png" and file.content.startswith(b"\x89PNG\r\n")
    assert file.shares == ((ALIGN, chart.ts),) and chart.thread_ts == main.ts
    assert len(workspace.messages(ALIGN)) == 1
    assert [p.week for p in posts(seeded)] == ["2025-W10"]


def test_a_restart_across_the_time_posts_once(
    seeded: str, slack: FakeSlackServer, workspace: FakeWorkspace
) -> None:
    settings = digest_settings(seeded, slack)
    with BotServer(settings, clock=ManualClock(MONDAY_0859 - timedelta(minutes=30))) as bot:
        sweep(bot)
    assert posts(seeded) == []
    # Down over 09:00; back at 10:30 the same Monday: the start-up sweep catches up.
    with BotServer(settings, clock=ManualClock(MONDAY_0900 + timedelta(minutes=90))):
        the_digest(workspace)
    with BotServer(settings, clock=ManualClock(MONDAY_0900 + timedelta(hours=3))) as bot:
        sweep(bot)
        bot.drain()
    assert len(workspace.messages(ALIGN)) == 1 and len(posts(seeded)) == 1


def test_no_catch_up_on_a_later_day(
    seeded: str, slack: FakeSlackServer, workspace: FakeWorkspace
) -> None:
    tuesday = MONDAY_0900 + timedelta(days=1)
    with BotServer(digest_settings(seeded, slack), clock=ManualClock(tuesday)) as bot:
        sweep(bot)
    assert posts(seeded) == [] and workspace.messages(ALIGN) == []


def test_turned_off_it_never_posts(
    seeded: str, slack: FakeSlackServer, workspace: FakeWorkspace
) -> None:
    with BotServer(make_settings(seeded, slack.api_url), clock=ManualClock(MONDAY_0900)) as bot:
        sweep(bot)
    assert posts(seeded) == [] and workspace.messages(ALIGN) == []


@pytest.mark.postgres
def test_two_replicas_on_postgres_post_one_digest(
    postgres_url: str, slack: FakeSlackServer, workspace: FakeWorkspace
) -> None:
    asyncio.run(with_db(postgres_url, seed))
    settings = digest_settings(postgres_url, slack)
    at = MONDAY_0900 + timedelta(minutes=5)
    with (
        BotServer(settings, clock=ManualClock(at)) as first,
        BotServer(settings, clock=ManualClock(at)) as second,
    ):
        # Both start-up sweeps have fired; now both sweep again at the same moment.
        start = threading.Barrier(2)

        def race(bot: BotServer) -> None:
            start.wait()
            sweep(bot)

        racers = [threading.Thread(target=race, args=(bot,)) for bot in (first, second)]
        for racer in racers:
            racer.start()
        for racer in racers:
            racer.join()
        the_digest(workspace)
        first.drain()
        second.drain()
    assert len(workspace.messages(ALIGN)) == 1
    assert len(posts(postgres_url)) == 1
    kinds = [m.kind for m in store.outbox(postgres_url) if m.kind.startswith("digest")]
    assert sorted(kinds) == ["digest_chart", "digest_post", "digest_thread"]
    assert len(workspace.files) == 1


def test_other_features_add_sections_and_a_broken_one_is_skipped(
    seeded: str, slack: FakeSlackServer, workspace: FakeWorkspace
) -> None:
    seen: list[tuple[datetime, datetime]] = []

    async def survey(start: datetime, end: datetime) -> list[dict[str, Any]]:
        seen.append((start, end))
        return [{"type": "section", "text": {"type": "mrkdwn", "text": "*Survey highlights*"}}]

    async def broken(start: datetime, end: datetime) -> list[dict[str, Any]]:
        raise RuntimeError("this feature is broken today")

    with BotServer(digest_settings(seeded, slack), clock=ManualClock(MONDAY_0859)) as bot:
        services = bot.handoff.services  # type: ignore[union-attr]
        services.registry.digest_sections.extend([broken, survey])
        bot.handoff.services.clock.set(MONDAY_0900)  # type: ignore[union-attr]
        sweep(bot)
        _, (details, _) = the_digest(workspace)
    assert details.blocks[-1]["text"]["text"] == "*Survey highlights*"
    assert seen == [(datetime(2025, 3, 2, 23, tzinfo=UTC), datetime(2025, 3, 9, 23, tzinfo=UTC))]


def test_a_week_without_leads_says_so(
    sqlite_url: str, slack: FakeSlackServer, workspace: FakeWorkspace
) -> None:
    with BotServer(digest_settings(sqlite_url, slack), clock=ManualClock(MONDAY_0900)) as bot:
        sweep(bot)
        main, _ = the_digest(workspace)
    assert main.text == "Weekly lead digest, 2025-W10: no leads this week"
    assert "No leads this week." in repr(main.blocks) and "0%" not in repr(main.blocks)


def test_the_command_line_prints_or_posts_a_week(
    seeded: str, slack: FakeSlackServer, workspace: FakeWorkspace, tmp_path: Path
) -> None:
    config = tmp_path / "app.yaml"
    config.write_text(yaml.safe_dump(TEAM), encoding="utf-8")
    env = {
        "HANDOFF_CONFIG": str(config),
        "DATABASE_URL": seeded,
        "SLACK_API_URL": slack.api_url,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "HANDOFF_INTAKE_TOKEN": INTAKE_TOKEN,
    }
    runner = CliRunner()
    chart = tmp_path / "w10.png"
    printed = runner.invoke(cli, ["digest", "--week", "2025-W10", "--chart", str(chart)], env=env)
    assert printed.exit_code == 0, printed.output
    assert "Weekly lead digest · 2025-W10" in printed.output
    assert "-- in the thread --" in printed.output and "Wrong industry" in printed.output
    assert "<!date" not in printed.output and chart.read_bytes().startswith(b"\x89PNG")
    assert workspace.messages(ALIGN) == []

    bad = runner.invoke(cli, ["digest", "--week", "2025-W60"], env=env)
    assert bad.exit_code == 2 and "no ISO week 60" in bad.output

    posted = runner.invoke(cli, ["digest", "--week", "2025-W10", "--post"], env=env)
    assert posted.exit_code == 0, posted.output
    assert "Posted the digest for 2025-W10" in posted.output
    main, _ = the_digest(workspace)
    assert main.text.startswith("Weekly lead digest, 2025-W10: 8 MQLs")
    again = runner.invoke(cli, ["digest", "--week", "2025-W10", "--post"], env=env)
    assert "already posted by hand" in again.output and len(workspace.messages(ALIGN)) == 1
