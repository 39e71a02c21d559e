"""The definition's figures against numbers worked out by hand, on SQLite and PostgreSQL.

The definition: size (employees >= 50, bit 0) and region (country DE/AT/CH, bit 1).
March 2025, every lead graded by the current version unless said:

  lead  missed  state      employees  country  industry  score  source  outcome
  L1    -       accepted   120        DE       Software  85     ads     won EUR 1,000
  L2    -       rejected   60         DE       Software  70     ads     (not_icp: disputable)
  L3    size    rejected   5          DE       Retail    30     seo     (not_icp: credited back)
  L4    region  accepted   300        FR       Software  65     seo     won EUR 500
  L5    both    open       -          -        -         -      -
  L6    size    returned   8          DE                                (not an MQL)
  L7    (not graded) accepted 500     DE                                (no fit: left out)
  L8    -       withdrawn  100        DE                                (not an MQL)
  and in February: L9 - accepted 50 DE (a period of one lead).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.definition.quality import QualityUsage, quality_report, what_if_report
from bot.definition.whatif import WhatIfError, parse_what_if
from bot.feedback.metrics import quality as figures
from bot.sandbox.fake_slack import FakeSlackServer, FakeWorkspace, InteractionSender
from bot.settings import TeamConfig
from bot.timekeeping.clock import ManualClock
from bot.timekeeping.periods import parse_period
from storage.database import Database
from storage.definition_models import DefinitionCriterion, DefinitionDispute
from storage.feedback_models import LeadOutcome
from storage.models import Lead
from tests.conftest import SIGNING_SECRET, TEAM, make_settings
from tests.harness import BotServer, wait_for

TEAM_CONFIG = TeamConfig.model_validate(
    {
        **TEAM,
        "mql_definition": {
            "criteria": [
                {"id": "size", "label": "Company size", "employees": {"at_least": 50}},
                {"id": "region", "label": "DACH", "country": ["DE", "AT", "CH"]},
            ],
            "review": {"enabled": False},
        },
    }
)
VERSION = TEAM_CONFIG.mql_definition.version
NOW = datetime(2025, 4, 10, 12, 0, tzinfo=UTC)
MARCH = parse_period("2025-03", now=NOW, zone=TEAM_CONFIG.zone)
FEBRUARY = parse_period("2025-02", now=NOW, zone=TEAM_CONFIG.zone)
JANUARY = parse_period("2025-01", now=NOW, zone=TEAM_CONFIG.zone)


def at(day: int, month: int = 3) -> datetime:
    return datetime(2025, month, day, 10, 0, tzinfo=UTC)


LEADS: list[dict[str, Any]] = [
    dict(id=1, missed=0, state="accepted", employees=120, country="DE", industry="Software",
         score=85, source="ads"),
    dict(id=2, missed=0, state="rejected", employees=60, country="DE", industry="Software",
         score=70, source="ads", rejection_reason="not_icp"),
    dict(id=3, missed=1, state="rejected", employees=5, country="DE", industry="Retail",
         score=30, source="seo", rejection_reason="not_icp"),
    dict(id=4, missed=2, state="accepted", employees=300, country="FR", industry="Software",
         score=65, source="seo"),
    dict(id=5, missed=3, state="open"),
    dict(id=6, missed=1, state="returned", employees=8, country="DE"),
    dict(id=7, missed=None, state="accepted", employees=500, country="DE"),
    dict(id=8, missed=0, state="withdrawn", employees=100, country="DE"),
    dict(id=9, missed=0, state="accepted", employees=50, country="DE", month=2),
]  # fmt: skip


async def seed(db: Database) -> None:
    async with db.session() as session:
        for position, (cid, label) in enumerate([("size", "Company size"), ("region", "DACH")]):
            session.add(
                DefinitionCriterion(
                    version=VERSION, position=position, criterion_id=cid, label=label,
                    test={}, created_at=at(1),
                )
            )  # fmt: skip
        for spec in LEADS:
            spec = dict(spec)
            missed, month = spec.pop("missed"), spec.pop("month", 3)
            session.add(
                Lead(
                    email=f"l{spec['id']}@example.com",
                    created_at=at(spec["id"], month),
                    fit_version=VERSION if missed is not None else None,
                    fit_missed=missed,
                    **spec,
                )
            )
        await session.flush()
        for lead_id, cents in ((1, 100_000), (4, 50_000)):
            session.add(
                LeadOutcome(
                    lead_id=lead_id, lead_created_at=at(lead_id), lead_source=None, kind="won",
                    at=at(28), amount_cents=cents, currency="EUR", received_at=at(28),
                )
            )  # fmt: skip
        session.add(
            DefinitionDispute(
                lead_id=2, rejection_event_id=1, lead_created_at=at(2), opened_by="U0MKT",
                explanation="fits", opened_at=at(20),
            )
        )  # fmt: skip


@pytest.fixture
def seeded(database_url: str) -> str:
    async def work() -> None:
        db = Database(database_url)
        try:
            await seed(db)
        finally:
            await db.dispose()

    asyncio.run(work())
    return database_url


def run(database_url: str, work: Any) -> Any:
    async def go() -> Any:
        db = Database(database_url)
        try:
            return await work(db)
        finally:
            await db.dispose()

    return asyncio.run(go())


def counts(row: figures.Row) -> tuple[int, int, int, dict[str, int]]:
    return (row.leads, row.accepted, row.rejected, row.won)


def test_wilson_by_hand() -> None:
    assert figures.wilson(2, 3) == pytest.approx((0.2077, 0.9385), abs=1e-4)
    assert figures.wilson(1, 1) == pytest.approx((0.2065, 1.0), abs=1e-4)
    assert figures.wilson(0, 1) == pytest.approx((0.0, 0.7935), abs=1e-4)
    assert figures.wilson(0, 0) is None


def test_per_criterion_and_per_bucket(seeded: str) -> None:
    report = run(seeded, lambda db: quality_report(db, TEAM_CONFIG, MARCH, None))
    size, region = report.criteria
    assert (size.id, size.label, region.label) == ("size", "Company size", "DACH")
    assert counts(size.met) == (3, 2, 1, {"EUR": 150_000})
    assert counts(size.missed) == (2, 0, 1, {})
    assert counts(region.met) == (3, 1, 2, {"EUR": 100_000})
    assert counts(region.missed) == (2, 1, 0, {"EUR": 50_000})
    assert size.met.rate == pytest.approx(2 / 3)
    assert size.met.interval == pytest.approx((0.2077, 0.9385), abs=1e-4)
    assert size.met.few and region.missed.few  # fewer than 10 decided: marked, still shown

    employees = {row.label: counts(row) for row in report.buckets["employees"]}
    assert employees == {
        "50-199": (2, 1, 1, {"EUR": 100_000}),
        "1-9": (1, 0, 1, {}),
        "200-999": (1, 1, 0, {"EUR": 50_000}),
        "unknown": (1, 0, 0, {}),
    }
    country = {row.label: counts(row) for row in report.buckets["country"]}
    assert country == {
        "DE": (3, 1, 2, {"EUR": 100_000}),
        "FR": (1, 1, 0, {"EUR": 50_000}),
        "unknown": (1, 0, 0, {}),
    }
    score = {row.label: counts(row)[:3] for row in report.buckets["score"]}
    assert score == {"80+": (1, 1, 0), "60-79": (2, 1, 1), "20-39": (1, 0, 1), "unknown": (1, 0, 0)}
    source = {row.label: counts(row)[:3] for row in report.buckets["source"]}
    assert source == {"ads": (2, 1, 1), "seo": (2, 1, 1), "unknown": (1, 0, 0)}
    assert [row.label for row in report.buckets["industry"]] == ["Software", "Retail", "unknown"]

    g = report.guarantee
    assert (g.credited_back, g.returned, g.disputes_open, g.upheld, g.overturned) == (1, 1, 1, 0, 0)


def test_one_source_only(seeded: str) -> None:
    report = run(seeded, lambda db: quality_report(db, TEAM_CONFIG, MARCH, "SEO"))
    size, region = report.criteria
    assert counts(size.met) == (1, 1, 0, {})
    assert counts(size.missed) == (1, 0, 1, {})
    assert counts(region.met) == (1, 0, 1, {})
    assert report.guarantee.credited_back == 1 and report.guarantee.disputes == 0


def test_an_empty_period_and_a_single_lead(seeded: str) -> None:
    empty = run(seeded, lambda db: quality_report(db, TEAM_CONFIG, JANUARY, None))
    assert [counts(c.met) for c in empty.criteria] == [(0, 0, 0, {}), (0, 0, 0, {})]
    assert empty.criteria[0].met.rate is None and empty.criteria[0].met.interval is None
    assert all(rows == [] for rows in empty.buckets.values())
    single = run(seeded, lambda db: quality_report(db, TEAM_CONFIG, FEBRUARY, None))
    assert counts(single.criteria[0].met) == (1, 1, 0, {})
    assert single.criteria[0].met.interval == pytest.approx((0.2065, 1.0), abs=1e-4)
    assert [(r.label, r.leads) for r in single.buckets["employees"]] == [("50-199", 1)]


def what_if(seeded: str, *changes: str) -> Any:
    return run(seeded, lambda db: what_if_report(db, TEAM_CONFIG, MARCH, None, list(changes)))


def test_what_if_by_hand(seeded: str) -> None:
    stricter = what_if(seeded, "employees>=100")
    # Graded MQLs L1-L5; the current definition passes L1, L2.
    assert (stricter.graded.leads, stricter.graded.accepted, stricter.graded.won) == (5, 2, 2)
    assert (stricter.current.leads, stricter.current.accepted, stricter.current.rejected) == (
        2,
        1,
        1,
    )
    # employees >= 100 instead of >= 50, region kept: only L1.
    changed = stricter.changed
    assert (changed.leads, changed.accepted, changed.rejected, changed.won) == (1, 1, 0, 1)
    assert changed.rate == 1.0
    looser = what_if(seeded, "-region")
    assert (looser.changed.leads, looser.changed.accepted, looser.changed.won) == (3, 2, 2)
    both = what_if(seeded, "-region", "country=fr")
    assert (both.changed.leads, both.changed.accepted) == (1, 1)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ("employees>>50", "can't read"),
        ("employees=50", "takes >= or <="),
        ("employees>=many", "needs a number"),
        ("title=head", "whole words"),
        ("revenue>=5", "not a field a what-if can test"),
        ("-nope", "no criterion `nope`"),
        ("country>=5", "takes a list of values"),
    ],
)
def test_a_what_if_the_language_cannot_express(change: str, words: str) -> None:
    with pytest.raises(WhatIfError, match=words):
        parse_what_if([change], TEAM_CONFIG.mql_definition)


def test_a_what_if_without_a_definition() -> None:
    team = TeamConfig.model_validate(TEAM)
    with pytest.raises(QualityUsage, match=r"sets no `mql_definition\.criteria`"):
        asyncio.run(what_if_report(None, team, MARCH, None, ["employees>=5"]))  # type: ignore[arg-type]


@pytest.fixture
def quality_bot(seeded: str, slack: FakeSlackServer) -> Iterator[BotServer]:
    settings = make_settings(
        seeded, slack.api_url, mql_definition=TEAM_CONFIG.mql_definition.model_dump()
    )
    with BotServer(settings, clock=ManualClock(NOW)) as server:
        yield server


def ask(sender: InteractionSender, workspace: FakeWorkspace, user: str, text: str) -> str:
    before = len(workspace.ephemerals(user=user))
    sender.slash_command(user=user, channel="C0LEADS", command="/leadfeedback", text=text)
    answer = wait_for(lambda: workspace.ephemerals(user=user)[before:], what=f"answer to {text!r}")[
        -1
    ]
    return answer.text + repr(answer.blocks)


def test_quality_and_what_if_in_slack(
    quality_bot: BotServer, workspace: FakeWorkspace, slack: FakeSlackServer
) -> None:
    sender = InteractionSender(
        workspace, bot_url=quality_bot.url, signing_secret=SIGNING_SECRET,
        response_base_url=slack.url,
    )  # fmt: skip
    answer = ask(sender, workspace, "U0MKT", "quality 2025-03")
    assert "Company size: met: 3 leads · accepted 67% [21%-94%] (3 decided, few)" in answer
    assert "won EUR 1,500" in answer
    assert "Credited back to sales: 1" in answer and "disputes: 1 (open 1" in answer
    assert "By employees" in answer and "unknown: 1 leads" in answer
    what_if_answer = ask(sender, workspace, "U0MKT", "quality what-if employees>=100 2025-03")
    assert "With employees&gt;=100: passes 1 of 5 MQLs" in what_if_answer
    assert "keeps 1 of 2 accepted and 1 of 2 won" in what_if_answer
    refused = ask(sender, workspace, "U0MKT", "quality what-if employees=>100")
    assert "`employees` takes &gt;= or &lt;=, e.g. employees&gt;=50" in refused
    unreadable = ask(sender, workspace, "U0MKT", "quality what-if big-companies")
    assert "can't read 'big-companies'" in unreadable
    # Reps are not marketers: the numbers are for marketers and admins.
    assert "is for marketers" in ask(sender, workspace, "U0REP1", "quality")
