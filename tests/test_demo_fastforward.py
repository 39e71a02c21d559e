"""Fast-forward through the demo's API: a day's jump lands where the day's posts are due,
and the bot's jobs run at every moment on the way, as they would in real time.

The demo's clock starts on Sunday 1 February 2026 at 07:00 in Berlin (SUNDAY_MORNING):
the next day is digest day and the first business day of the month.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from messages.ids import ActionId
from tests import store
from tests.demo_harness import (
    ALIGNMENT,
    ANA,
    BERLIN,
    LEADS,
    MARIA,
    SUNDAY_MORNING,
    DemoServer,
)
from tests.harness import wait_for

DAY_AND_THREE_HOURS = 27 * 3600  # Sunday 07:00 to Monday 10:00


@pytest.fixture
def sunday(sqlite_url: str, tmp_path: Path) -> Iterator[DemoServer]:
    with DemoServer(
        sqlite_url, config_path=tmp_path / "no-app.yaml", start=SUNDAY_MORNING
    ) as server:
        yield server


def berlin(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, BERLIN)


def shown_at(demo: DemoServer, ts: str) -> str:
    """When the page says a message was posted, in Berlin: "Mon 09:00"."""
    return berlin(demo.demo.time.at(float(ts))).strftime("%a %H:%M")


def test_a_day_from_sunday_morning_lands_when_mondays_digest_and_survey_are_due(
    sunday: DemoServer,
) -> None:
    answer = sunday.post("fast-forward", {"by": "1d"}).json()
    landed = berlin(answer["now"])
    assert (landed.date(), landed.strftime("%H:%M")) == (date(2026, 2, 2), "10:00")
    assert all(job["ok"] for job in answer["jobs"])
    assert {job["label"] for job in answer["jobs"]} == {
        "weekly digest",
        "monthly survey",
        "response-deadline reminders",
        "personal-data retention",
        "monthly MQL definition review",
    }

    (digest,) = sunday.workspace.messages(ALIGNMENT)
    assert digest.text.startswith("Weekly lead digest, 2026-W05")
    assert shown_at(sunday, digest.ts) == "Mon 09:00"  # posted at its hour, on the way
    survey_dm = sunday.workspace.dm_channel(ANA)
    assert survey_dm is not None
    (ask,) = sunday.workspace.messages(survey_dm)
    assert "what did customers say" in ask.text.lower()
    assert shown_at(sunday, ask.ts) == "Mon 10:00"
    new = {item["channel"]: item["count"] for item in answer["new_messages"]}
    assert new[ALIGNMENT] >= 2  # the digest and its thread (details, chart)
    assert new[survey_dm] == 1


def test_a_days_jump_stops_at_each_sla_step_on_the_way(sunday: DemoServer) -> None:
    sunday.send_lead()
    (card,) = sunday.wait_for_cards(1)
    click = {"as": ANA, "channel": LEADS, "ts": card.ts, "action_id": ActionId.CLAIM}
    assert sunday.post("click", click).json()["ok"]
    wait_for(lambda: store.lead(sunday.database_url, 1).state == "claimed", what="the claim")

    sunday.post("fast-forward", {"by": "1d"})
    # Due Monday 07:00: nudges 4h and 1h before, then the escalation at the deadline.
    # A single sweep at 10:00 would have sent only the escalation.
    ana = sunday.workspace.dm_channel(ANA)
    maria = sunday.workspace.dm_channel(MARIA)
    assert ana is not None and maria is not None
    # Each DM is edited once a newer one supersedes it; what was posted tells the story.
    posted = [call.args["text"] for call in sunday.workspace.calls("chat.postMessage", channel=ana)]
    left = [text.split(" left")[0] for text in posted[:2]]
    assert left == [":alarm_clock: 4h", ":alarm_clock: 1h"]
    shown = [shown_at(sunday, m.ts) for m in sunday.workspace.messages(ana)]
    assert shown == ["Mon 03:00", "Mon 06:00", "Mon 10:00"]  # then the survey's question
    (escalation,) = sunday.workspace.messages(maria)
    assert "Response deadline missed" in escalation.text
    assert shown_at(sunday, escalation.ts) == "Mon 07:00"


def test_every_job_runs_at_each_stop_and_a_failing_one_is_reported(sunday: DemoServer) -> None:
    services = sunday.demo.services
    seen: list[datetime] = []

    async def probe() -> None:
        seen.append(services.clock.now())

    async def broken() -> None:
        raise RuntimeError("a feature's sweep failed")

    services.registry.jobs.add("broken_sweep", broken, every=timedelta(hours=1))
    services.registry.jobs.add("probe", probe, every=timedelta(hours=1))

    answer = sunday.post("fast-forward", {"by": "1d"}).json()
    jobs = {job["name"]: job for job in answer["jobs"]}
    assert jobs["broken_sweep"] == {
        "name": "broken_sweep",
        "label": "broken sweep",
        "ok": False,
        "error": "RuntimeError",
    }
    assert all(job["ok"] for name, job in jobs.items() if name != "broken_sweep")
    # The digest's hour on the way, then where the jump lands (the survey's hour).
    assert [berlin(moment.timestamp()).strftime("%a %H:%M") for moment in seen] == [
        "Mon 09:00",
        "Mon 10:00",
    ]
    assert answer["stops"] == 1
    assert abs(sunday.state(ANA)["offset"] - DAY_AND_THREE_HOURS) < 60

    hour = sunday.post("fast-forward", {"by": "1h"}).json()
    assert 3600 <= hour["now"] - answer["now"] < 3660  # not a whole day: exactly as asked
    for bad in ("0h", "32d", "soon"):
        assert sunday.post("fast-forward", {"by": bad}).status_code == 422
