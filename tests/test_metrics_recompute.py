"""Every report figure against a plain-Python recomputation, on random leads, on both stores.

The figures are SQL over covering indexes (bot/feedback/metrics/). Here the same
generated leads are stored (as tests/feedback_data.py stores them) and kept in
memory, and each figure is worked out again in Python from the README's "Metric
definitions", one lead at a time, without any of the product's SQL. A seeded
`random.Random` makes a few hundred leads over 150 days before NOW in every state
(open, claimed, accepted, rejected, withdrawn, returned below the definition), with
cards posted or not, deadlines met, breached and still running, sources in several
letter cases, rejection reasons and comments, CRM outcomes, first touches, disputes,
and a fit graded by the current definition or by an older one.

Durations are compared within a millisecond (SQLite's julianday() reads times to the
millisecond); counts, amounts and lists exactly.

Where the README leaves room, the recomputation follows the product's docstrings: the
sources table and the quality table's source buckets keep each spelling of a source
("webinar", "Webinar") as its own row, while a `source:` filter takes every spelling;
a what-if counts the period's MQLs graded by the current version (not the leads that
version returned below the definition), as tests/test_definition_quality.py does by hand.
"""

from __future__ import annotations

import asyncio
import math
import random
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
from statistics import NormalDist
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from bot.definition.evaluate import grade
from bot.definition.grading import grading_for
from bot.definition.quality import CriterionLine, quality_report, what_if_report
from bot.feedback import metrics, reports
from bot.feedback.metrics import quality as figures
from bot.settings import TeamConfig
from bot.settings.definition import MqlDefinition
from bot.timekeeping.periods import Period, iso_week, parse_period
from storage.database import Database
from storage.definition import ensure_version
from storage.definition_models import DefinitionDispute
from storage.feedback_models import LeadOutcome, OutcomeKind
from storage.models import Lead, LeadState
from tests.conftest import TEAM

SEEDS = (7, 2024, 31337)
ZONE = ZoneInfo("Europe/Berlin")
# A Wednesday in April: 90 days reach back to mid-January, the data to mid-November,
# and week 2025-W13 holds the spring daylight-saving change (Sunday 30 March).
NOW = datetime(2025, 4, 16, 12, 0, tzinfo=UTC)
HISTORY = timedelta(days=150)
H = timedelta(hours=1)
SOURCE_FILTER = "WeBiNaR"  # matches "webinar", "Webinar" and "WEBINAR"

DEFINITION: dict[str, Any] = {
    "criteria": [
        {"id": "size", "label": "company size", "employees": {"at_least": 50, "at_most": 5000}},
        {
            "id": "icp_industry",
            "label": "industry",
            "industry": ["Software", "Fintech", "Logistics"],
        },
        {"id": "region", "label": "DACH", "country": ["DE", "AT", "CH"]},
        {"id": "buyer_role", "label": "buyer role", "title": ["head", "director", "vp", "cto"]},
        {"id": "engaged", "label": "score", "score": {"at_least": 60}},
        {"id": "plan", "label": "plan interest", "fields": {"plan": ["team", "enterprise"]}},
    ],
    "review": {"enabled": False},
}
# What leads older than OLD_FROM were graded by: shared ids at other positions, and a
# criterion today's app.yaml no longer has.
OLD_DEFINITION: dict[str, Any] = {
    "criteria": [
        {"id": "region", "label": "DACH", "country": ["DE", "AT", "CH"]},
        {"id": "size", "label": "company size", "employees": {"at_least": 20}},
        {"id": "hand_raiser", "label": "asked for us", "reason": ["demo", "pricing", "trial"]},
    ],
}
OLD_FROM = timedelta(days=80)  # older leads were graded by OLD_DEFINITION
UNGRADED_FROM = timedelta(days=130)  # older still: no definition was set
TEAM_CONFIG = TeamConfig.model_validate({**TEAM, "mql_definition": DEFINITION})
OLD_TEAM = TeamConfig.model_validate({**TEAM, "mql_definition": OLD_DEFINITION})
CURRENT: MqlDefinition = TEAM_CONFIG.mql_definition
OLD: MqlDefinition = OLD_TEAM.mql_definition
MISS_REASONS = {r.id for r in TEAM_CONFIG.rejection_reasons if r.definition_miss}

SOURCES = ["webinar", "Webinar", "WEBINAR", "ads", "seo", "partner", "events", None]
SOURCE_WEIGHTS = [10, 4, 2, 14, 10, 6, 4, 5]
REASONS = ["not_icp", "no_budget", "no_intent", "competitor", "bad_contact", "existing", "other"]
REASON_WEIGHTS = [30, 20, 15, 5, 10, 8, 12]
COMMENTS = [None, None, "", "Student", "Too small", "Wrong industry", "Already a customer", "Spam"]
REPS = ["U0REP1", "U0REP2", "U0REP3", "U0REP4"]
CURRENCIES = ["EUR", "EUR", "EUR", "USD", "USD", "GBP"]
TITLES = [
    "Head of Marketing",
    "CTO & co-founder",
    "Director of Sales",
    "VP Engineering",
    "Marketing Manager",
    "Student",
    None,
]
MQL_REASONS = ["requested a demo", "pricing page", "started a trial", "ebook download", None]
INDUSTRIES = ["Software", "software", "Fintech", "Logistics", "Retail", "Education", None]
COUNTRIES = ["DE", "DE", "AT", "CH", "de", "FR", "US", None]
PLANS: list[Any] = ["team", "enterprise", "Team", "free", ["team", "sso"], ["free"], None]
DIGEST_LIMIT = reports.DIGEST_LIST_LIMIT


# --- the data ------------------------------------------------------------------------------


@dataclass
class Dataset:
    leads: list[Lead]
    outcomes: list[LeadOutcome]
    disputes: list[DefinitionDispute]
    outcomes_of: dict[int, list[LeadOutcome]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for outcome in self.outcomes:
            self.outcomes_of.setdefault(outcome.lead_id, []).append(outcome)

    def outcome(self, lead: Lead, kind: str) -> LeadOutcome | None:
        return next((o for o in self.outcomes_of.get(lead.id or 0, []) if o.kind == kind), None)


def _between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    """A whole second in [start, end]."""
    seconds = max(0, int((end - start).total_seconds()))
    return start + timedelta(seconds=rng.randint(0, seconds))


def _delay(rng: random.Random, mean: timedelta) -> timedelta:
    return timedelta(seconds=max(1, round(rng.expovariate(1 / mean.total_seconds()))))


def _profile(rng: random.Random) -> dict[str, Any]:
    """Who the lead is: mostly the ideal customer, so that some meet every criterion."""
    employees = rng.choice(
        [None, rng.randint(1, 49), rng.randint(50, 5000), rng.randint(5001, 90_000)]
    )
    if rng.random() < 0.5:
        employees = rng.randint(50, 4999)
    score: float | None = rng.choice([None, rng.randint(0, 100), rng.randint(0, 199) / 2])
    if rng.random() < 0.5:
        score = rng.randint(60, 100)
    plan = rng.choice(PLANS)
    return {
        "employees": employees,
        "score": score,
        "industry": rng.choice(INDUSTRIES[:4] if rng.random() < 0.5 else INDUSTRIES),
        "country": rng.choice(COUNTRIES[:5] if rng.random() < 0.5 else COUNTRIES),
        "title": rng.choice(TITLES[:4] if rng.random() < 0.6 else TITLES),
        "reason": rng.choice(MQL_REASONS),
        "fields": {} if plan is None else {"plan": plan},
    }


def _graded_by(created: datetime) -> MqlDefinition | None:
    age = NOW - created
    if age > UNGRADED_FROM:
        return None
    return OLD if age > OLD_FROM else CURRENT


def _created_times(rng: random.Random, count: int) -> list[datetime]:
    """Random arrivals, a busy last two days (deadlines still running), and leads right on
    the edges of the periods compared."""
    times = [_between(rng, NOW - HISTORY, NOW - timedelta(seconds=1)) for _ in range(count)]
    times += [_between(rng, NOW - 48 * H, NOW - timedelta(seconds=1)) for _ in range(15)]
    monday = datetime(2025, 3, 24, tzinfo=ZONE).astimezone(UTC)  # 2025-W13 in Berlin
    sunday_late = datetime(2025, 3, 30, 23, 30, tzinfo=ZONE).astimezone(UTC)
    for edge in (NOW - timedelta(days=30), NOW - timedelta(days=90), monday, sunday_late):
        times += [edge, edge - timedelta(seconds=1)]
    return times


def make_dataset(seed: int) -> Dataset:
    rng = random.Random(seed)
    leads: list[Lead] = []
    outcomes: list[LeadOutcome] = []
    disputes: list[DefinitionDispute] = []
    for number, created in enumerate(_created_times(rng, rng.randint(300, 380)), start=1):
        lead = Lead(
            id=number,
            email=f"r{number}@example.com",
            source=rng.choices(SOURCES, SOURCE_WEIGHTS)[0],
            created_at=created,
            **_profile(rng),
        )
        definition = _graded_by(created)
        if definition is not None:
            fit = grade(definition, lead)
            lead.fit_version, lead.fit_missed = fit.version, fit.missed_mask
            lead.fit = {"met": fit.met_count, "total": fit.total, "misses": fit.misses}
        _live(rng, lead)
        leads.append(lead)
        dispute = _dispute(rng, lead, len(disputes) + 1)
        if dispute is not None:
            disputes.append(dispute)
        outcomes += _outcomes(rng, lead)
    return Dataset(leads, outcomes, disputes)


def _live(rng: random.Random, lead: Lead) -> None:
    """What happened to the lead up to NOW, as the handoff loop would have recorded it."""
    created = lead.created_at
    fate = rng.random()
    if fate < 0.04:
        lead.state = LeadState.WITHDRAWN  # the CRM took it back before its card
        return
    if lead.fit_missed and fate < 0.14:
        lead.state = LeadState.RETURNED  # on_miss: return, or Return in review: no card
        return
    if fate > 0.95:
        return  # imported with --no-cards, or its card still queued: open, no clock
    lead.posted_at = created + timedelta(seconds=rng.randint(0, 300))
    lead.channel_id, lead.message_ts = "C0LEADS", f"{lead.posted_at.timestamp():.6f}"
    lead.due_at = lead.posted_at + rng.choice([24 * H, 24 * H, 24 * H, 8 * H, 72 * H])
    if rng.random() < 0.5:
        lead.first_touch_at = lead.posted_at + _delay(rng, 6 * H)
        if lead.first_touch_at >= NOW:
            lead.first_touch_at = None
    path = rng.choices(
        ["open", "claimed", "accepted", "claim-reject", "reject"], [8, 10, 40, 28, 14]
    )[0]
    owner = rng.choice(REPS)
    if path != "reject":  # a rep may reject an unclaimed lead straight from its card
        claimed = lead.posted_at + _delay(rng, 5 * H)
        if path == "open" or claimed >= NOW:
            return
        lead.owner_id, lead.claimed_at, lead.state = owner, claimed, LeadState.CLAIMED
        if path == "claimed":
            return
    since = lead.claimed_at or lead.posted_at
    closed = since + _delay(rng, 14 * H)
    if rng.random() < 0.04 and lead.due_at > since:
        closed = lead.due_at  # decided at the deadline itself: met
    if closed >= NOW:
        return  # not decided yet: still claimed, or still open
    lead.owner_id, lead.closed_at = owner, closed
    if path == "accepted":
        lead.state = LeadState.ACCEPTED
        return
    lead.state = LeadState.REJECTED
    lead.rejection_reason = rng.choices(REASONS, REASON_WEIGHTS)[0]
    lead.rejection_comment = rng.choice(COMMENTS)


def _dispute(rng: random.Random, lead: Lead, number: int) -> DefinitionDispute | None:
    """A disputed rejection of a lead that met every criterion; an overturn reopens it."""
    if lead.state != LeadState.REJECTED or lead.rejection_reason not in MISS_REASONS:
        return None
    if lead.fit_missed != 0 or rng.random() < 0.3:
        return None
    assert lead.closed_at is not None
    decision = rng.choice([None, "uphold", "overturn"])
    opened = lead.closed_at + H
    dispute = DefinitionDispute(
        lead_id=lead.id or 0,
        rejection_event_id=number,
        lead_created_at=lead.created_at,
        opened_by="U0MKT",
        explanation="It met every criterion",
        opened_at=opened,
        decision=decision,
        decided_by="U0MGR" if decision else None,
        decided_at=opened + H if decision else None,
    )
    if decision == "overturn":
        # storage/definition_disputes.py reopened_values: open again, for anyone to claim.
        lead.state = LeadState.OPEN
        lead.owner_id = lead.claimed_at = lead.closed_at = None
        lead.rejection_reason = lead.rejection_comment = None
    return dispute


def _outcomes(rng: random.Random, lead: Lead) -> list[LeadOutcome]:
    """What the CRM reported: deals mostly on accepted leads, a few nurtured ones buying too.

    The CRM keeps following a lead returned below the definition, so it may buy; a
    withdrawn lead's record is gone from the CRM.
    """
    if lead.state == LeadState.WITHDRAWN:
        return []
    chances = {
        LeadState.ACCEPTED: (0.5, 0.3, 0.15),  # opportunity, won, lost
        LeadState.RETURNED: (0.15, 0.15, 0.05),
    }.get(lead.state, (0.06, 0.05, 0.03))
    kinds = [
        kind
        for kind, chance in zip(
            (OutcomeKind.OPPORTUNITY, OutcomeKind.WON, OutcomeKind.LOST), chances, strict=True
        )
        if rng.random() < chance
    ]
    if OutcomeKind.WON in kinds and OutcomeKind.LOST in kinds:
        kinds.remove(rng.choice([OutcomeKind.WON, OutcomeKind.LOST]))  # the API refuses both
    made = []
    for kind in kinds:
        amount = kind == OutcomeKind.WON or (kind == OutcomeKind.OPPORTUNITY and rng.random() < 0.7)
        at = _between(rng, lead.created_at, NOW)
        made.append(
            LeadOutcome(
                lead_id=lead.id or 0,
                lead_created_at=lead.created_at,
                lead_source=lead.source,
                kind=kind,
                at=at,
                received_at=at,
                amount_cents=rng.randint(1, 5_000_000) * 10 if amount else None,
                currency=rng.choice(CURRENCIES) if amount else None,
                reason="Chose a competitor" if kind == OutcomeKind.LOST else None,
            )
        )
    return made


async def store(db: Database, data: Dataset) -> None:
    async with db.session() as session:
        for team in (OLD_TEAM, TEAM_CONFIG):
            await ensure_version(session, grading_for(team), now=NOW - HISTORY)
        for item in data.leads:
            session.add(Lead.model_validate(item.model_dump()))
        await session.flush()
        for outcome in data.outcomes:
            session.add(LeadOutcome.model_validate(outcome.model_dump()))
        for dispute in data.disputes:
            session.add(DefinitionDispute.model_validate(dispute.model_dump()))
        if (await session.connection()).dialect.name == "postgresql":
            # The leads carry their own ids; later inserts must not reuse them.
            await session.exec(text("SELECT setval('leads_id_seq', (SELECT max(id) FROM leads))"))


async def with_db(database_url: str, work: Callable[[Database], Awaitable[Any]]) -> Any:
    db = Database(database_url)
    try:
        return await work(db)
    finally:
        await db.dispose()


def ask(database_url: str, work: Callable[[Database], Awaitable[Any]]) -> Any:
    return asyncio.run(with_db(database_url, work))


@pytest.fixture(params=SEEDS, ids=[f"seed{s}" for s in SEEDS])
def dataset(request: pytest.FixtureRequest, database_url: str) -> tuple[str, Dataset]:
    data = make_dataset(request.param)
    asyncio.run(with_db(database_url, lambda db: store(db, data)))
    return database_url, data


# --- the recomputation, from the README's "Metric definitions" -------------------------------

DECIDED = (LeadState.ACCEPTED, LeadState.REJECTED)
NOT_MQLS = (LeadState.WITHDRAWN, LeadState.RETURNED)


def seconds(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds()


def percentile(values: Iterable[float], fraction: float) -> float | None:
    """Continuous percentile, as PostgreSQL's percentile_cont: interpolated between ranks."""
    ordered = sorted(values)
    if not ordered:
        return None
    position = fraction * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (position - low) * (ordered[high] - ordered[low])


def rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def wilson(successes: int, trials: int) -> tuple[float, float] | None:
    """The 95% Wilson score interval (written from its textbook form, clipped to [0, 1])."""
    if not trials:
        return None
    z = NormalDist().inv_cdf(0.975)
    p = successes / trials
    centre = p + z * z / (2 * trials)
    spread = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials))
    scale = 1 + z * z / trials
    return max(0.0, (centre - spread) / scale), min(1.0, (centre + spread) / scale)


def same_source(lead_source: str | None, wanted: str | None) -> bool:
    """A source filter matches any letter case; no filter matches every lead."""
    return wanted is None or (lead_source is not None and lead_source.lower() == wanted.lower())


def arrived(data: Dataset, start: datetime, end: datetime, source: str | None) -> list[Lead]:
    return [
        lead
        for lead in data.leads
        if start <= lead.created_at < end and same_source(lead.source, source)
    ]


def mqls(data: Dataset, start: datetime, end: datetime, source: str | None = None) -> list[Lead]:
    """The period's MQLs: arrived in [start, end); withdrawn and returned leads never count."""
    return [lead for lead in arrived(data, start, end, source) if lead.state not in NOT_MQLS]


def sla(lead: Lead, now: datetime) -> str | None:
    """met / breached / pending; None for a lead without a deadline."""
    if lead.due_at is None:
        return None
    if lead.state in DECIDED:
        assert lead.closed_at is not None
        return "met" if lead.closed_at <= lead.due_at else "breached"
    return "breached" if lead.due_at < now else "pending"


def response_seconds(lead: Lead) -> float | None:
    """The first of claim or decision, after the card."""
    moments = [m for m in (lead.claimed_at, lead.closed_at) if m is not None]
    if lead.posted_at is None or not moments:
        return None
    return seconds(lead.posted_at, min(moments))


def summed(outcomes: Iterable[LeadOutcome]) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for outcome in outcomes:
        if outcome.currency is not None and outcome.amount_cents is not None:
            totals[outcome.currency] += outcome.amount_cents
    return dict(totals)


def outcome_figures(data: Dataset, leads: list[Lead]) -> dict[str, Any]:
    """Outcomes of these leads: opportunities, wins (any state), lost, amounts per currency."""
    won = [o for lead in leads if (o := data.outcome(lead, OutcomeKind.WON))]
    opportunities = [o for lead in leads if (o := data.outcome(lead, OutcomeKind.OPPORTUNITY))]
    by_lead = {lead.id: lead for lead in leads}
    return {
        "opportunities": sum(
            1
            for lead in leads
            if data.outcome(lead, OutcomeKind.OPPORTUNITY) or data.outcome(lead, OutcomeKind.WON)
        ),
        "wins": len(won),
        "wins_accepted": sum(1 for o in won if by_lead[o.lead_id].state == LeadState.ACCEPTED),
        "lost": sum(1 for lead in leads if data.outcome(lead, OutcomeKind.LOST)),
        "pipeline": summed(opportunities),
        "won": summed(won),
        "to_customer_median": approx_seconds(
            percentile((seconds(by_lead[o.lead_id].created_at, o.at) for o in won), 0.5)
        ),
    }


def expected_funnel(
    data: Dataset,
    start: datetime,
    end: datetime,
    *,
    now: datetime,
    source: str | None = None,
    detail: bool = True,
) -> dict[str, Any]:
    leads = mqls(data, start, end, source)
    accepted = sum(1 for lead in leads if lead.state == LeadState.ACCEPTED)
    rejected = sum(1 for lead in leads if lead.state == LeadState.REJECTED)
    slas = Counter(sla(lead, now) for lead in leads)
    claims = [
        seconds(lead.posted_at, lead.claimed_at) for lead in leads if _both(lead, "claimed_at")
    ]
    decisions = [
        seconds(lead.posted_at, lead.closed_at) for lead in leads if _both(lead, "closed_at")
    ]
    # Without detail (the comparison period of stats and the digest) only the counts come.
    expected: dict[str, Any] = asdict(metrics.Funnel())
    expected.update(
        mqls=len(leads),
        claimed=sum(1 for lead in leads if lead.claimed_at is not None),
        accepted=accepted,
        rejected=rejected,
        sla_met=slas["met"],
        sla_breached=slas["breached"],
    )
    if detail and leads:
        expected.update(
            claim_median=approx_seconds(percentile(claims, 0.5)),
            claim_p90=approx_seconds(percentile(claims, 0.9)),
            disposition_median=approx_seconds(percentile(decisions, 0.5)),
            disposition_p90=approx_seconds(percentile(decisions, 0.9)),
            **outcome_figures(data, leads),
        )
    expected.update(
        open=len(leads) - accepted - rejected,
        acceptance_rate=approx_rate(rate(accepted, accepted + rejected)),
        sla_attainment=approx_rate(rate(slas["met"], slas["met"] + slas["breached"])),
        win_rate=approx_rate(rate(expected["wins_accepted"], accepted)),
    )
    return expected


def _both(lead: Lead, moment: str) -> bool:
    return lead.posted_at is not None and getattr(lead, moment) is not None


def expected_first_touch(
    data: Dataset, start: datetime, end: datetime, source: str | None = None
) -> dict[str, Any]:
    touches = [
        seconds(lead.posted_at, lead.first_touch_at)
        for lead in mqls(data, start, end, source)
        if _both(lead, "first_touch_at")
    ]
    return {
        "touched": len(touches),
        "median": approx_seconds(percentile(touches, 0.5)),
        "p90": approx_seconds(percentile(touches, 0.9)),
    }


def expected_reasons(
    data: Dataset, start: datetime, end: datetime, *, source: str | None = None, comments: int = 3
) -> list[dict[str, Any]]:
    """Reasons by count (ties by id); share of the rejected; the latest non-empty comments."""
    rejected = [lead for lead in mqls(data, start, end, source) if lead.state == LeadState.REJECTED]
    counts = Counter(lead.rejection_reason for lead in rejected)
    rows = []
    for reason, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        with_comment = [
            lead for lead in rejected if lead.rejection_reason == reason and lead.rejection_comment
        ]
        latest = sorted(with_comment, key=lambda lead: (lead.closed_at, lead.id), reverse=True)
        rows.append(
            {
                "reason": reason,
                "count": count,
                "share": approx_rate(count / len(rejected)),
                "comments": [
                    (lead.id, lead.rejection_comment, lead.owner_id, lead.closed_at)
                    for lead in latest[:comments]
                ],
            }
        )
    return rows


def expected_sources(data: Dataset, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """One row per source as stored (letter case kept), most MQLs first, ties by name."""
    groups: dict[str | None, list[Lead]] = defaultdict(list)
    for lead in mqls(data, start, end):
        groups[lead.source].append(lead)
    order = sorted(groups, key=lambda name: (-len(groups[name]), name is None, name or ""))
    rows = []
    for index, name in enumerate(order):
        leads = groups[name]
        accepted = sum(1 for lead in leads if lead.state == LeadState.ACCEPTED)
        rejected = [lead.rejection_reason for lead in leads if lead.state == LeadState.REJECTED]
        top = min(Counter(rejected).items(), key=lambda item: (-item[1], item[0]), default=None)
        responses = [s for lead in leads if (s := response_seconds(lead)) is not None]
        outcomes = outcome_figures(data, leads)
        rows.append(
            {
                "source": name,
                "mqls": len(leads),
                "accepted": accepted,
                "rejected": len(rejected),
                "open": len(leads) - accepted - len(rejected),
                "acceptance_rate": approx_rate(rate(accepted, accepted + len(rejected))),
                "top_reason": top[0] if top else None,
                "top_reason_count": top[1] if top else 0,
                "response_median": approx_seconds(percentile(responses, 0.5))
                if index < metrics.SOURCES_WITH_DETAIL
                else None,
                "opportunities": outcomes["opportunities"],
                "wins": outcomes["wins"],
                "won": outcomes["won"],
            }
        )
    return rows


def expected_lead_list(leads: list[Lead]) -> dict[str, Any]:
    ranked = sorted(leads, key=lambda lead: (lead.due_at, lead.id))
    return {"total": len(leads), "ids": [lead.id for lead in ranked[:DIGEST_LIMIT]]}


def local_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=ZONE).astimezone(UTC)


def expected_days(data: Dataset, monday: date) -> list[tuple[date, int, int, int]]:
    """MQLs of each local day of the week: accepted, rejected, still open."""
    days = []
    for offset in range(7):
        day = monday + timedelta(days=offset)
        start, end = local_midnight(day), local_midnight(day + timedelta(days=1))
        states = Counter(lead.state for lead in mqls(data, start, end))
        accepted, rejected = states[LeadState.ACCEPTED], states[LeadState.REJECTED]
        days.append((day, accepted, rejected, states.total() - accepted - rejected))
    return days


def approx_seconds(value: float | None) -> Any:
    return None if value is None else pytest.approx(value, abs=1e-3)


def approx_rate(value: float | None) -> Any:
    return None if value is None else pytest.approx(value, rel=1e-9, abs=1e-12)


def approx_interval(value: tuple[float, float] | None) -> Any:
    return None if value is None else [approx_rate(value[0]), approx_rate(value[1])]


# --- the definition's figures -----------------------------------------------------------------


def criteria_of(version: str | None) -> list[str]:
    """The criterion ids of a version, by position (bit i of fit_missed is position i)."""
    for definition in (CURRENT, OLD):
        if definition.version == version:
            return [c.id for c in definition.criteria]
    raise AssertionError(f"no definition has version {version}")


def quality_row(data: Dataset, leads: list[Lead]) -> dict[str, Any]:
    accepted = sum(1 for lead in leads if lead.state == LeadState.ACCEPTED)
    rejected = sum(1 for lead in leads if lead.state == LeadState.REJECTED)
    return {
        "leads": len(leads),
        "accepted": accepted,
        "rejected": rejected,
        "won": summed(o for lead in leads if (o := data.outcome(lead, OutcomeKind.WON))),
        "rate": approx_rate(rate(accepted, accepted + rejected)),
        "interval": approx_interval(wilson(accepted, accepted + rejected)),
        "few": accepted + rejected < figures.FEW_DECIDED,
    }


def employees_bucket(value: int | None) -> str:
    if value is None:
        return "unknown"
    for below, label in ((10, "1-9"), (50, "10-49"), (200, "50-199"), (1000, "200-999")):
        if value < below:
            return label
    return "1,000-4,999" if value < 5000 else "5,000+"


def score_bucket(value: float | None) -> str:
    if value is None:
        return "unknown"
    for below, label in ((20, "below 20"), (40, "20-39"), (60, "40-59"), (80, "60-79")):
        if value < below:
            return label
    return "80+"


BUCKETS: dict[str, Callable[[Lead], str]] = {
    "employees": lambda lead: employees_bucket(lead.employees),
    "score": lambda lead: score_bucket(lead.score),
    "industry": lambda lead: lead.industry or "unknown",
    "country": lambda lead: lead.country or "unknown",
    "source": lambda lead: lead.source or "unknown",
}


def expected_quality(
    data: Dataset, start: datetime, end: datetime, source: str | None
) -> dict[str, Any]:
    graded = [lead for lead in mqls(data, start, end, source) if lead.fit_version is not None]
    by_criterion: dict[tuple[str, bool], list[Lead]] = defaultdict(list)
    for lead in graded:
        for position, criterion_id in enumerate(criteria_of(lead.fit_version)):
            met = not (lead.fit_missed or 0) >> position & 1
            by_criterion[(criterion_id, met)].append(lead)
    # Today's criteria in app.yaml's order, then those only older versions had.
    ids = [c.id for c in CURRENT.criteria]
    ids += sorted({cid for cid, _ in by_criterion} - set(ids))
    criteria = [
        (
            cid,
            quality_row(data, by_criterion[(cid, True)]),
            quality_row(data, by_criterion[(cid, False)]),
        )
        for cid in ids
    ]
    buckets = {}
    for name, bucket_of in BUCKETS.items():
        groups: dict[str, list[Lead]] = defaultdict(list)
        for lead in graded:
            groups[bucket_of(lead)].append(lead)
        rows = {label: quality_row(data, leads) for label, leads in groups.items()}
        buckets[name] = [
            {"label": label, **rows[label]}
            for label in sorted(rows, key=lambda label: (-rows[label]["leads"], label))
        ]
    everyone = arrived(data, start, end, source)
    credited = [
        lead
        for lead in everyone
        if lead.state == LeadState.REJECTED
        and lead.rejection_reason in MISS_REASONS
        and (lead.fit_missed or 0) != 0
    ]
    in_period = {lead.id for lead in everyone}
    decisions = Counter(d.decision or "open" for d in data.disputes if d.lead_id in in_period)
    return {
        "criteria": criteria,
        "buckets": buckets,
        "guarantee": {
            "credited_back": len(credited),
            "returned": sum(1 for lead in everyone if lead.state == LeadState.RETURNED),
            "disputes_open": decisions["open"],
            "upheld": decisions["uphold"],
            "overturned": decisions["overturn"],
        },
    }


def _plan_is(lead: Lead, wanted: set[str]) -> bool:
    """README: the custom field is one of the values; a list value passes if any item does."""
    value = lead.fields.get("plan")
    items = value if isinstance(value, list) else [value]
    return any(isinstance(item, str) and item.casefold() in wanted for item in items)


@dataclass(frozen=True)
class WhatIfCase:
    changes: list[str]
    replaced: set[str]  # the current criteria the changes take the place of, or drop
    test: Callable[[Lead], bool]  # the new tests, on the lead's own fields


WHAT_IFS = [
    # employees>=200 replaces size's lower bound; its at_most 5000 stays.
    WhatIfCase(
        ["employees>=200"],
        {"size"},
        lambda lead: lead.employees is not None and 200 <= lead.employees <= 5000,
    ),
    WhatIfCase(
        ["score<=90"], {"engaged"}, lambda lead: lead.score is not None and 60 <= lead.score <= 90
    ),
    WhatIfCase(["-buyer_role"], {"buyer_role"}, lambda lead: True),
    WhatIfCase(
        ["industry=software,FINTECH"],
        {"icp_industry"},
        lambda lead: (lead.industry or "").casefold() in {"software", "fintech"},
    ),
    WhatIfCase(
        ["country=de,AT", "-plan"],
        {"region", "plan"},
        lambda lead: (lead.country or "").casefold() in {"de", "at"},
    ),
    WhatIfCase(["fields.plan=team"], {"plan"}, lambda lead: _plan_is(lead, {"team"})),
]


def expected_pass(data: Dataset, leads: list[Lead]) -> dict[str, Any]:
    accepted = sum(1 for lead in leads if lead.state == LeadState.ACCEPTED)
    rejected = sum(1 for lead in leads if lead.state == LeadState.REJECTED)
    return {
        "leads": len(leads),
        "accepted": accepted,
        "rejected": rejected,
        "won": sum(1 for lead in leads if data.outcome(lead, OutcomeKind.WON)),
        "rate": approx_rate(rate(accepted, accepted + rejected)),
        "interval": approx_interval(wilson(accepted, accepted + rejected)),
    }


def expected_what_if(
    data: Dataset, start: datetime, end: datetime, source: str | None, case: WhatIfCase
) -> dict[str, Any]:
    """Over the MQLs graded by the current version: all, those it passes, those the change does."""
    graded = [
        lead for lead in mqls(data, start, end, source) if lead.fit_version == CURRENT.version
    ]
    ids = [c.id for c in CURRENT.criteria]

    def met(lead: Lead, criterion_id: str) -> bool:
        return not (lead.fit_missed or 0) >> ids.index(criterion_id) & 1

    kept = [cid for cid in ids if cid not in case.replaced]
    return {
        "graded": expected_pass(data, graded),
        "current": expected_pass(data, [lead for lead in graded if all(met(lead, c) for c in ids)]),
        "changed": expected_pass(
            data,
            [lead for lead in graded if all(met(lead, c) for c in kept) and case.test(lead)],
        ),
    }


# --- comparing --------------------------------------------------------------------------------

MISSING = object()


def differences(actual: Any, expected: Any, where: str = "") -> list[str]:
    """Every place two nested figures differ (floats by the pytest.approx in `expected`)."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        keys = sorted(expected.keys() | actual.keys(), key=str)
        return [
            problem
            for key in keys
            for problem in differences(
                actual.get(key, MISSING), expected.get(key, MISSING), f"{where}.{key}"
            )
        ]
    sequences = (list, tuple)
    same_length = isinstance(expected, sequences) and isinstance(actual, sequences)
    if same_length and len(actual) == len(expected):
        return [
            problem
            for index, (got, want) in enumerate(zip(actual, expected, strict=True))
            for problem in differences(got, want, f"{where}[{index}]")
        ]
    if actual is None and expected is not None:
        return [f"{where}: got None, expected {expected!r}"]
    return [] if actual == expected else [f"{where}: got {actual!r}, expected {expected!r}"]


def assert_same(actual: Any, expected: Any, what: str) -> None:
    problems = differences(actual, expected, what)
    assert not problems, "\n".join(problems)


def funnel_figures(funnel: metrics.Funnel) -> dict[str, Any]:
    return {
        **asdict(funnel),
        "open": funnel.open,
        "acceptance_rate": funnel.acceptance_rate,
        "sla_attainment": funnel.sla_attainment,
        "win_rate": funnel.win_rate,
    }


def source_figures(row: metrics.SourceRow) -> dict[str, Any]:
    return {**asdict(row), "open": row.open, "acceptance_rate": row.acceptance_rate}


def reason_figures(rows: list[metrics.ReasonRow]) -> list[dict[str, Any]]:
    return [
        {
            "reason": row.reason,
            "count": row.count,
            "share": row.share,
            "comments": [(c.lead_id, c.text, c.owner_id, c.at) for c in row.comments],
        }
        for row in rows
    ]


def row_figures(row: figures.Row | figures.Pass) -> dict[str, Any]:
    shown = {"rate": row.rate, "interval": row.interval}
    if isinstance(row, figures.Row):
        return {**asdict(row), **shown, "few": row.few, "label": row.label}
    return {**asdict(row), **shown}


def criterion_figures(line: CriterionLine) -> tuple[str, dict[str, Any], dict[str, Any]]:
    met, missed = row_figures(line.met), row_figures(line.missed)
    for row in (met, missed):
        row.pop("label")
    return line.id, met, missed


# --- the tests --------------------------------------------------------------------------------


def periods() -> dict[str, tuple[Period, datetime, datetime]]:
    """The product's periods with the bounds the README gives them (N x 24 hours up to now)."""
    return {
        key: (parse_period(key, now=NOW, zone=ZONE), NOW - timedelta(days=days), NOW)
        for key, days in (("90d", 90), ("30d", 30))
    }


SCOPES = [("90d", None), ("30d", None), ("90d", SOURCE_FILTER), ("30d", SOURCE_FILTER)]


def test_stats_and_reasons(dataset: tuple[str, Dataset]) -> None:
    database_url, data = dataset
    for key, source in SCOPES:
        period, start, end = periods()[key]
        assert (period.start, period.end) == (start, end)
        length = end - start
        stats = ask(
            database_url, partial(reports.stats_report, period=period, now=NOW, source=source)
        )
        scope = f"{key} source={source}"
        assert_same(
            funnel_figures(stats.current),
            expected_funnel(data, start, end, now=NOW, source=source),
            f"stats {scope}",
        )
        assert_same(
            funnel_figures(stats.previous),
            expected_funnel(data, start - length, start, now=NOW, source=source, detail=False),
            f"stats {scope} previous",
        )
        assert_same(
            asdict(stats.first_touch),
            expected_first_touch(data, start, end, source),
            f"first touch {scope}",
        )
        found = ask(database_url, partial(reports.reasons_report, period=period, source=source))
        assert_same(
            reason_figures(found.reasons),
            expected_reasons(data, start, end, source=source),
            f"reasons {scope}",
        )


def test_sources_table(dataset: tuple[str, Dataset]) -> None:
    database_url, data = dataset
    for key in ("90d", "30d"):
        period, start, end = periods()[key]
        table = ask(database_url, partial(reports.sources_report, period=period)).sources
        expected = expected_sources(data, start, end)
        assert table.total == len(expected)
        assert_same([source_figures(row) for row in table.rows], expected, f"sources {key}")


@pytest.mark.parametrize(
    "week_number",
    [
        # Monday 24 March 00:00 CET to Monday 31 March 00:00 CEST: the clocks changed.
        pytest.param(13, id="W13"),
        pytest.param(15, id="W15"),  # the week the digest posted at NOW reports
    ],
)
def test_the_weekly_digest(dataset: tuple[str, Dataset], week_number: int) -> None:
    database_url, data = dataset
    week = iso_week(2025, week_number, now=NOW, zone=ZONE)
    monday = date.fromisocalendar(2025, week_number, 1)
    start, end = local_midnight(monday), local_midnight(monday + timedelta(days=7))
    assert (week.start, week.end) == (start, end)
    digest = ask(database_url, partial(reports.digest_report, week=week, now=NOW, zone=ZONE))

    assert_same(funnel_figures(digest.current), expected_funnel(data, start, end, now=NOW), "week")
    before = local_midnight(monday - timedelta(days=7))
    assert_same(
        funnel_figures(digest.previous),
        expected_funnel(data, before, start, now=NOW, detail=False),
        "week before",
    )
    breached = [lead for lead in mqls(data, start, end) if sla(lead, NOW) == "breached"]
    assert_same(
        {"total": digest.breaches.total, "ids": [lead.id for lead in digest.breaches.leads]},
        expected_lead_list(breached),
        "breaches",
    )
    overdue = [
        lead
        for lead in data.leads
        if lead.state in (LeadState.OPEN, LeadState.CLAIMED)
        and lead.due_at is not None
        and lead.due_at < NOW
    ]
    assert_same(
        {"total": digest.overdue.total, "ids": [lead.id for lead in digest.overdue.leads]},
        expected_lead_list(overdue),
        "open past deadline",
    )
    assert_same(
        reason_figures(digest.reasons),
        expected_reasons(data, start, end, comments=1),
        "week's reasons",
    )
    sources = expected_sources(data, start, end)
    by_rate = sorted(
        (row for row in sources if row["acceptance_rate"] is not None),
        key=lambda row: (
            -row["accepted"] / (row["accepted"] + row["rejected"]),
            -row["mqls"],
            row["source"] or "",
        ),
    )
    assert [row.source for row in digest.by_acceptance] == [row["source"] for row in by_rate]
    won_totals: Counter[str] = Counter()
    for row in sources:
        won_totals.update(row["won"])
    currency = min(won_totals, key=lambda c: (-won_totals[c], c)) if won_totals else None
    assert digest.currency == currency
    by_won = sorted(
        (row for row in sources if row["won"].get(currency or "")),
        key=lambda row: (-row["won"][currency], row["source"] or ""),
    )
    assert [row.source for row in digest.by_won] == [row["source"] for row in by_won]
    assert [(d.day, d.accepted, d.rejected, d.open) for d in digest.days] == expected_days(
        data, monday
    )
    assert_same(asdict(digest.first_touch), expected_first_touch(data, start, end), "first touch")


def test_the_quality_report(dataset: tuple[str, Dataset]) -> None:
    database_url, data = dataset
    for key, source in SCOPES[:3]:
        period, start, end = periods()[key]
        report = ask(
            database_url, partial(quality_report, team=TEAM_CONFIG, period=period, source=source)
        )
        expected = expected_quality(data, start, end, source)
        scope = f"quality {key} source={source}"
        assert report.version == CURRENT.version
        assert_same(
            [criterion_figures(line) for line in report.criteria], expected["criteria"], scope
        )
        assert_same(
            {name: [row_figures(row) for row in rows] for name, rows in report.buckets.items()},
            expected["buckets"],
            scope,
        )
        assert_same(asdict(report.guarantee), expected["guarantee"], scope)


def test_what_ifs(dataset: tuple[str, Dataset]) -> None:
    database_url, data = dataset
    for key, source in SCOPES[:3]:
        period, start, end = periods()[key]
        for case in WHAT_IFS:
            answer = ask(
                database_url,
                partial(
                    what_if_report,
                    team=TEAM_CONFIG,
                    period=period,
                    source=source,
                    changes=case.changes,
                ),
            )
            assert_same(
                {
                    name: row_figures(getattr(answer, name))
                    for name in ("graded", "current", "changed")
                },
                expected_what_if(data, start, end, source, case),
                f"what-if {' '.join(case.changes)} {key} source={source}",
            )
