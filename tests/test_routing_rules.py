"""Routing's pure rules: rule matching, each method's distribution, caps, calibration,
availability and tier deadlines. No clock, no database, no Slack."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

import pytest

from bot.routing.availability import Person, SkipReason, skip_reason
from bot.routing.choosing import Rotation, calibrate, cap_reached, next_member
from bot.routing.rules import match_rule
from bot.settings import TeamConfig
from bot.settings.routing import Cap, Hours, RepHours, RoutingConfig
from bot.sla.policy import start_clock

LEADS = 10_000


@dataclass
class FakeLead:
    country: str | None = None
    employees: int | None = None
    industry: str | None = None
    source: str | None = None
    score: float | None = None
    reason: str | None = None


ROUTING = RoutingConfig.model_validate(
    {
        "regions": {"emea": ["DE", "FR", "GB"], "amer": ["US", "CA"]},
        "pools": [{"id": p, "members": {"users": ["U0A"]}} for p in ("sdr", "emea", "amer", "all")],
        "rules": [
            {"pool": "sdr", "tier": "hand_raiser", "reason": ["demo", "pricing"]},
            {"pool": "sdr", "tier": "hand_raiser", "score": {"min": 80}},
            {"pool": "emea", "region": ["emea"], "employees": {"min": 50, "max": 5000}},
            {"pool": "amer", "country": ["us"], "industry": ["Software", "SaaS"]},
            {"pool": "amer", "source": ["webinar"], "region": ["amer"]},
            {"pool": "all"},
        ],
    }
)


@pytest.mark.parametrize(
    ("lead", "index"),
    [
        (FakeLead(reason="Requested a DEMO of the product"), 0),
        (FakeLead(reason="Pricing page visited 3 times"), 0),
        (FakeLead(reason="demographics report download", score=50), 5),  # a word, not a prefix
        (FakeLead(score=80), 1),
        (FakeLead(score=79.9, country="DE", employees=50), 2),
        (FakeLead(country="de", employees=5001), 5),
        (FakeLead(country="GB", employees=None), 5),  # an unknown size matches no range
        (FakeLead(country="US", industry="saas"), 3),
        (FakeLead(country="CA", source="Webinar"), 4),
        (FakeLead(country="CA", industry="Software"), 5),
        (FakeLead(), 5),
    ],
)
def test_the_first_matching_rule_wins(lead: FakeLead, index: int) -> None:
    match = match_rule(lead, ROUTING)
    assert match is not None and match.index == index


def test_no_rule_matches_without_a_default() -> None:
    routing = ROUTING.model_copy(update={"rules": ROUTING.rules[:-1]})
    assert match_rule(FakeLead(country="JP"), routing) is None


# --- distribution over 10,000 simulated leads -------------------------------------------------


def simulate(
    method: str, members: list[str], *, weights: dict[str, int] | None = None, leads: int = LEADS
) -> Counter[str]:
    """Assign `leads` leads one at a time, storing the state as the database would."""
    counts: Counter[str] = Counter()
    last = None
    open_leads: Counter[str] = Counter()
    for n in range(leads):
        rotation = Rotation(counts=dict(counts), present=frozenset(counts), last=last)
        chosen = next_member(
            method,  # type: ignore[arg-type]
            members,
            calibrate(members, rotation, weights or {}),
            last=last,
            weights=weights,
            open_leads=open_leads,
        )
        assert chosen is not None
        counts[chosen] += 1
        last = chosen
        open_leads[chosen] += 1
        # Reps decide leads at different speeds; load balancing evens out what stays open.
        if n % 3 == 0:
            busiest = max(open_leads, key=lambda u: (open_leads[u], u))
            open_leads[busiest] -= 1
    return counts


def test_round_robin_is_within_one_lead_of_equal() -> None:
    counts = simulate("round_robin", ["U1", "U2", "U3", "U4", "U5", "U6", "U7"])
    assert sum(counts.values()) == LEADS
    assert max(counts.values()) - min(counts.values()) <= 1


def test_round_robin_rotates_in_pool_order() -> None:
    counts: Counter[str] = Counter()
    order, last = [], None
    for _ in range(6):
        rotation = Rotation(counts=dict(counts), present=frozenset(counts), last=last)
        last = next_member(
            "round_robin",
            ["U1", "U2", "U3"],
            calibrate(["U1", "U2", "U3"], rotation, {}),
            last=last,
        )
        assert last is not None
        counts[last] += 1
        order.append(last)
    assert order == ["U1", "U2", "U3", "U1", "U2", "U3"]


def test_weights_are_within_two_percent_of_their_share() -> None:
    weights = {"U1": 5, "U2": 3, "U3": 1, "U4": 1}
    counts = simulate("weighted", list(weights), weights=weights)
    total = sum(weights.values())
    for user, weight in weights.items():
        share = counts[user] / LEADS
        assert abs(share - weight / total) <= 0.02 * (weight / total), (user, share)


def test_load_balanced_gives_to_the_fewest_undecided() -> None:
    chosen = next_member(
        "load_balanced",
        ["U1", "U2", "U3"],
        {"U1": 0, "U2": 9, "U3": 9},
        open_leads={"U1": 4, "U2": 1, "U3": 2},
    )
    assert chosen == "U2"
    counts = simulate("load_balanced", ["U1", "U2", "U3", "U4"])
    assert max(counts.values()) - min(counts.values()) <= 2


def test_nobody_available_is_nobody() -> None:
    assert next_member("round_robin", [], {}) is None


# --- caps and calibration ----------------------------------------------------------------------


def test_caps_per_day_and_week() -> None:
    cap = Cap(day=3, week=10)
    assert not cap_reached(cap, today=2, this_week=9)
    assert cap_reached(cap, today=3, this_week=3)
    assert cap_reached(cap, today=0, this_week=10)
    assert not cap_reached(Cap(), today=1000, this_week=1000)


def test_a_returning_member_is_calibrated_to_the_average_not_flooded() -> None:
    """Ana was away for 100 leads; back, she takes her turn instead of the next 50."""
    members = ["ANA", "BEN", "CEM"]
    rotation = Rotation(counts={"ANA": 10, "BEN": 60, "CEM": 62}, present=frozenset({"BEN", "CEM"}))
    counts = calibrate(members, rotation, {})
    assert counts == {"ANA": 61, "BEN": 60, "CEM": 62}
    # From here the three take turns: over the next 30 leads nobody gets more than 11.
    given: Counter[str] = Counter()
    last = None
    for _ in range(30):
        last = next_member(
            "round_robin", members, {u: counts[u] + given[u] for u in members}, last=last
        )
        assert last is not None
        given[last] += 1
    assert max(given.values()) - min(given.values()) <= 2
    assert given["ANA"] <= 11


def test_a_new_member_starts_at_the_weighted_average() -> None:
    rotation = Rotation(counts={"U1": 40, "U2": 20}, present=frozenset({"U1", "U2"}))
    counts = calibrate(["U1", "U2", "NEW"], rotation, {"U1": 2, "NEW": 2})
    assert counts["NEW"] == 40  # 20 per unit of weight, times 2
    assert counts["U2"] == 20


def test_a_member_count_never_goes_down_by_calibration() -> None:
    rotation = Rotation(counts={"U1": 5, "U2": 90}, present=frozenset({"U1"}))
    assert calibrate(["U1", "U2"], rotation, {})["U2"] == 90


# --- availability ------------------------------------------------------------------------------

MONDAY_10_BERLIN = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)  # 10:00 in Berlin, 04:00 in New York


def reason(person: Person, **kwargs: object) -> SkipReason | None:
    options: dict[str, object] = {
        "hours": Hours(),
        "own_hours": None,
        "team_zone": "Europe/Berlin",
        "away": False,
        "at_cap": False,
        "check_status": False,
    }
    options.update(kwargs)
    return skip_reason(person, MONDAY_10_BERLIN, **options)  # type: ignore[arg-type]


def test_working_hours_follow_the_members_time_zone() -> None:
    assert reason(Person("U1", tz="Europe/Berlin")) is None
    assert reason(Person("U2", tz="America/New_York")) is SkipReason.HOURS
    assert reason(Person("U2", tz="America/New_York"), hours=None) is None
    own = RepHours(start=time(4, 0), end=time(12, 0), timezone="America/New_York")
    assert reason(Person("U2", tz="Europe/Berlin"), own_hours=own) is None


def test_skip_reasons_in_order() -> None:
    assert reason(Person("U1", deleted=True), away=True) is SkipReason.DEACTIVATED
    assert reason(Person("U1"), away=True, at_cap=True) is SkipReason.AWAY
    assert reason(Person("U1"), at_cap=True) is SkipReason.CAP


def test_an_out_of_office_status_counts_only_when_turned_on() -> None:
    ooo = Person("U1", tz="Europe/Berlin", status_text="OOO until Monday")
    assert reason(ooo) is None
    assert reason(ooo, check_status=True) is SkipReason.STATUS
    palm = Person("U1", tz="Europe/Berlin", status_emoji=":palm_tree:")
    assert reason(palm, check_status=True) is SkipReason.STATUS
    expired = Person(
        "U1",
        tz="Europe/Berlin",
        status_text="vacation",
        status_expiration=int(MONDAY_10_BERLIN.timestamp()) - 1,
    )
    assert reason(expired, check_status=True) is None
    assert (
        reason(Person("U1", tz="Europe/Berlin", status_text="In a meeting"), check_status=True)
        is None
    )


# --- tiers and their deadlines on business hours --------------------------------------------------

TEAM = TeamConfig.model_validate(
    {
        "channels": {"leads": "C0LEADS", "marketing": "C0MKTG"},
        "timezone": "Europe/Berlin",
        "sla": {
            "respond_within": "24h",
            "business_hours": {"start": "09:00", "end": "17:00"},
            "tiers": [
                {"id": "hand_raiser", "respond_within": "5m", "nudge_before": ["2m"]},
                {"id": "standard", "respond_within": "1h", "business_hours": True},
                {"id": "low_intent", "respond_within": "24h", "business_hours": True},
            ],
        },
    }
)
FRIDAY_1630_BERLIN = datetime(2026, 12, 4, 15, 30, tzinfo=UTC)
FRIDAY_2200_BERLIN = datetime(2026, 12, 4, 21, 0, tzinfo=UTC)


def test_a_hand_raiser_is_due_in_minutes_around_the_clock() -> None:
    clock = start_clock(FRIDAY_2200_BERLIN, TEAM, "hand_raiser")
    assert clock.due_at == FRIDAY_2200_BERLIN + timedelta(minutes=5)


def test_a_standard_lead_is_due_within_one_business_hour() -> None:
    # 16:30 Friday: half an hour on Friday, the other half on Monday at 09:30.
    clock = start_clock(FRIDAY_1630_BERLIN, TEAM, "standard")
    assert clock.due_at == datetime(2026, 12, 7, 8, 30, tzinfo=UTC)
    assert start_clock(FRIDAY_2200_BERLIN, TEAM, "standard").due_at == datetime(
        2026, 12, 7, 9, 0, tzinfo=UTC
    )


def test_a_low_intent_lead_has_three_working_days_and_no_tier_keeps_the_plain_sla() -> None:
    assert (
        start_clock(FRIDAY_1630_BERLIN, TEAM, "low_intent").due_at
        == start_clock(FRIDAY_1630_BERLIN, TEAM).due_at
    )
    assert start_clock(FRIDAY_1630_BERLIN, TEAM, "low_intent").due_at == datetime(
        2026, 12, 9, 15, 30, tzinfo=UTC
    )


def test_reps_coming_and_going_are_never_flooded_on_return() -> None:
    """10,000 leads while six reps go away now and then (for 50-300 leads each time):
    with calibration nobody ever gets two leads in a row while a colleague is there."""
    rng = random.Random(7)
    members = [f"U{i}" for i in range(1, 7)]
    counts: dict[str, int] = {}
    present: set[str] = set()
    away: dict[str, int] = {}
    last = None
    for n in range(LEADS):
        for member in members:
            if member not in away and rng.random() < 0.002:
                away[member] = n + rng.randint(50, 300)
        away = {m: until for m, until in away.items() if n < until}
        available = [m for m in members if m not in away]
        rotation = Rotation(counts=counts, present=frozenset(present), last=last)
        calibrated = calibrate(available, rotation, {})
        chosen = next_member("round_robin", available, calibrated, last=last)
        assert chosen is not None
        assert chosen != last or len(available) == 1, f"lead {n} went to {chosen} twice in a row"
        counts = {**counts, **calibrated}
        counts[chosen] += 1
        present, last = set(available), chosen
