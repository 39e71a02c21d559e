"""The feedback messages as plain functions: number formats, Block Kit, escaping, limits."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from bot.feedback import metrics
from bot.feedback.reports import DigestReport, ReasonsReport, SourcesReport, StatsReport
from bot.settings import TeamConfig
from bot.timekeeping.periods import iso_week
from messages import digest as digest_views
from messages import feedback as views
from messages import figures
from storage.feedback_models import LeadOutcome
from storage.models import Lead, LeadEvent
from tests.blockkit import assert_valid_message
from tests.conftest import TEAM
from tests.feedback_data import BERLIN, NOW

WEEK = iso_week(2025, 10, now=NOW, zone=BERLIN)
TEAM_CONFIG = TeamConfig.model_validate(TEAM)
NASTY = "<!channel> & <https://evil.example|click> *x*"


valid = assert_valid_message


@pytest.mark.parametrize(
    ("value", "shown"),
    [(None, "\u2013"), (0.0, "0%"), (0.4, "40%"), (2 / 3, "67%"), (1.0, "100%")],
)
def test_percent(value: float | None, shown: str) -> None:
    assert figures.percent(value) == shown


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (None, "\u2013"),
        (29, "<1m"),
        (90, "2m"),
        (3600, "1h"),
        (11520, "3h 12m"),
        (86400, "1d"),
        (8.5 * 86400, "8d 12h"),
    ],
)
def test_duration(seconds: float | None, shown: str) -> None:
    assert figures.duration(seconds) == shown


def test_money_and_changes() -> None:
    assert figures.money({}) == "\u2013"
    assert figures.money({"USD": 70_000, "EUR": 1_200_050}) == "EUR 12,000.50 · USD 700"
    assert figures.change(8, 1) == "\u25b2 +7 (+700%)"
    assert figures.change(1, 0) == "\u25b2 +1 (none before)"
    assert figures.change(0, 3) == "\u25bc \u22123 (\u2212100%)"
    assert figures.change(2, 2) == "= no change"
    assert figures.change_points(0.4, 1.0) == "\u25bc \u221260 pts"
    assert figures.change_points(0.5, None) == ""


def funnel(**figures: Any) -> metrics.Funnel:
    return metrics.Funnel(**figures)


def test_stats_with_and_without_leads() -> None:
    full = funnel(
        mqls=8,
        claimed=5,
        accepted=2,
        rejected=3,
        sla_met=4,
        sla_breached=3,
        claim_median=3600,
        claim_p90=11520,
        opportunities=3,
        wins=2,
        wins_accepted=1,
        won={"EUR": 100},
    )
    shown = valid(views.stats_message(StatsReport(WEEK, NASTY, full, funnel(mqls=1, accepted=1))))
    assert "57% (4 of 7 met)" in shown and "win rate 50% of accepted" in shown
    assert "<!channel>" not in shown and "&lt;!channel&gt; &amp;" in shown
    empty = valid(views.stats_message(StatsReport(WEEK, None, funnel(), funnel(mqls=3))))
    assert "No leads in this period. (3 in week 2025-W09.)" in empty and "0%" not in empty
    # Leads, but no deadline has passed yet: no attainment rather than 0% or 100%.
    fresh = valid(views.stats_message(StatsReport(WEEK, None, funnel(mqls=2), funnel())))
    assert "no deadline has passed yet" in fresh


def test_reasons_fit_in_one_message_however_many() -> None:
    rows = [
        metrics.ReasonRow(
            f"reason_{i}",
            100 - i,
            0.01,
            [metrics.Comment(i, NASTY * 20, "U0REP1", NOW)] * 3,
        )
        for i in range(80)
    ]
    shown = valid(views.reasons_message(ReasonsReport(WEEK, None, rows), TEAM_CONFIG))
    assert "reason_0" in shown and "<!channel>" not in shown
    assert valid(views.reasons_message(ReasonsReport(WEEK, "ads", []), TEAM_CONFIG))


def test_sources_show_the_largest_and_count_the_rest() -> None:
    rows = [
        metrics.SourceRow(
            f"{NASTY}-{i}" if i == 0 else f"source-{i}",
            mqls=100 - i,
            accepted=10,
            rejected=5,
            top_reason="not_icp",
            top_reason_count=3,
            won={"EUR": 5000_00},
            wins=1,
            opportunities=2,
        )
        for i in range(40)
    ]
    table = metrics.SourcesTable(rows, len(rows))
    shown = valid(views.sources_message(SourcesReport(WEEK, table), TEAM_CONFIG))
    assert "and 25 smaller sources" in shown and "source-14" in shown and "source-15" not in shown
    assert "Not our ideal customer profile (3)" in shown and "EUR 5,000" in shown
    assert "<!channel>" not in shown


def lead(**fields: Any) -> Lead:
    values: dict[str, Any] = {
        "id": 7,
        "email": "ana@example.com",
        "first_name": NASTY,
        "state": "claimed",
        "owner_id": "U0REP1",
        "created_at": NOW - timedelta(days=2),
        "due_at": NOW - timedelta(hours=1),
        "source": "ads",
        "crm_url": "https://crm.example.com/7",
        "channel_id": "C0LEADS",
        "message_ts": "1.2",
    }
    return Lead(**{**values, **fields})


def test_a_leads_timeline_and_a_reps_list() -> None:
    subject = lead()
    events = [
        LeadEvent(lead_id=7, kind="claimed", actor_id="U0REP1", at=NOW - timedelta(days=1)),
        LeadEvent(lead_id=7, kind="nudged", at=NOW - timedelta(hours=5)),
        LeadEvent(lead_id=7, kind="some_new_kind", at=NOW - timedelta(hours=4)),
    ]
    outcomes = [
        LeadOutcome(
            lead_id=7,
            lead_created_at=subject.created_at,
            kind="opportunity_created",
            at=NOW,
            received_at=NOW,
        )
    ]
    entries = views.timeline(subject, events, outcomes, TEAM_CONFIG)
    assert [e.text for e in entries] == [
        "Arrived from ads",
        "Claimed",
        "Nudged",
        "Some new kind",
        "Opportunity created in the CRM",
    ]
    shown = valid(
        views.lead_message(
            subject,
            entries,
            permalink="https://handoff.slack.com/archives/C0LEADS/p12",
            others=[3, 1],
            team=TEAM_CONFIG,
            now=NOW,
        )
    )
    assert "overdue" in shown and "View the card" in shown and "#3, #1" in shown
    assert "<!channel>" not in shown
    mine = valid(views.mine_message([subject], {7: None}, total=25, now=NOW))
    assert "and 24 more" in mine
    assert valid(views.mine_message([], {}, total=0, now=NOW))


def digest_report(current: metrics.Funnel, **extra: Any) -> DigestReport:
    values: dict[str, Any] = {
        "week": WEEK,
        "now": NOW,
        "current": current,
        "previous": funnel(),
        "breaches": metrics.LeadList(0, []),
        "reasons": [],
        "by_acceptance": [],
        "by_won": [],
        "currency": None,
        "overdue": metrics.LeadList(0, []),
        "days": [metrics.DayCounts(date(2025, 3, 3) + timedelta(days=i)) for i in range(7)],
    }
    return DigestReport(**{**values, **extra})


def test_the_digest_leads_with_numbers_and_keeps_details_for_the_thread() -> None:
    report = digest_report(
        funnel(mqls=8, accepted=2, rejected=3, sla_met=4, sla_breached=3),
        breaches=metrics.LeadList(12, [lead(id=i) for i in range(8)]),
        overdue=metrics.LeadList(1, [lead()]),
    )
    main = valid(digest_views.digest_main(report, TEAM_CONFIG))
    assert "8 MQLs, 40% accepted" in main and "Breached" not in main
    details = valid(
        digest_views.digest_details(
            report,
            TEAM_CONFIG,
            permalinks={0: "https://handoff.slack.com/archives/C0LEADS/p1"},
            sections=[{"type": "divider"}] * 60,
        )
    )
    assert "and 4 more" in details and "More sections did not fit" in details
    assert "<!channel>" not in details


def source_row(source: str, mqls: int, accepted: int, rejected: int) -> metrics.SourceRow:
    return metrics.SourceRow(source, mqls=mqls, accepted=accepted, rejected=rejected)


def test_the_best_source_is_one_with_accepted_leads() -> None:
    none_accepted = digest_report(
        funnel(mqls=2, rejected=2), by_acceptance=[source_row("ebook", 2, 0, 2)]
    )
    main = valid(digest_views.digest_main(none_accepted, TEAM_CONFIG))
    assert "No source had an accepted lead this week." in main
    assert "Best source" not in main and "(0% accepted)" not in main
    some = digest_report(
        funnel(mqls=3, accepted=1, rejected=2),
        by_acceptance=[source_row("webinar", 2, 1, 1), source_row("ebook", 1, 0, 1)],
    )
    assert "Best source: *webinar* (50% accepted)" in valid(
        digest_views.digest_main(some, TEAM_CONFIG)
    )


def test_counts_of_one_read_as_one() -> None:
    one = digest_report(
        funnel(mqls=1, rejected=1),
        by_acceptance=[source_row("ebook", 1, 0, 1)],
        overdue=metrics.LeadList(1, [lead()]),
        reasons=[
            metrics.ReasonRow("other", 1, 1.0, [metrics.Comment(1, "E-book\nonly", "U0REP1", NOW)])
        ],
    )
    main = valid(digest_views.digest_main(one, TEAM_CONFIG))
    assert "1 MQL, 0% accepted" in main and "Open past the deadline: 1 lead" in main
    assert "1 MQLs" not in main and "1 leads" not in main
    details = valid(digest_views.digest_details(one, TEAM_CONFIG, permalinks={}))
    assert "0% of 1 MQL" in details and "1 MQLs" not in details
    assert "> E-book\\n> only" in details  # every line of the comment is quoted
    empty_but_overdue = digest_report(funnel(), overdue=metrics.LeadList(1, [lead()]))
    assert "Still open past the deadline: 1 older lead" in valid(
        digest_views.digest_main(empty_but_overdue, TEAM_CONFIG)
    )
    stats = valid(views.stats_message(StatsReport(WEEK, None, funnel(mqls=1), funnel())))
    assert "1 MQL, " in stats
    rows = [metrics.ReasonRow("other", 1, 1.0, [])]
    assert "1 lead rejected" in valid(
        views.reasons_message(ReasonsReport(WEEK, None, rows), TEAM_CONFIG)
    )
    table = metrics.SourcesTable([source_row("ebook", 1, 0, 1)], 1)
    sources = valid(views.sources_message(SourcesReport(WEEK, table), TEAM_CONFIG))
    assert "1 source" in sources and "*ebook* · 1 MQL ·" in sources
    assert "1 sources" not in sources
    sent = valid(views.export_sent_message("x.csv", 1, "week 2025-W10", "Europe/Berlin"))
    assert "1 lead from" in sent


def test_an_empty_week_says_no_leads_this_week() -> None:
    main = valid(digest_views.digest_main(digest_report(funnel()), TEAM_CONFIG))
    assert "No leads this week." in main and "0%" not in main
    details = valid(
        digest_views.digest_details(digest_report(funnel()), TEAM_CONFIG, permalinks={})
    )
    assert "Open past their deadline" in details


def test_outcome_replies() -> None:
    subject = lead(created_at=datetime(2025, 3, 1, tzinfo=UTC))
    won = LeadOutcome(
        lead_id=7,
        lead_created_at=subject.created_at,
        kind="won",
        at=datetime(2025, 3, 9, 12, tzinfo=UTC),
        amount_cents=1_200_050,
        currency="EUR",
        received_at=NOW,
    )
    assert views.outcome_reply(subject, won).text == (
        ":trophy: Won in the CRM: EUR 12,000.50, 8d 12h after the lead arrived."
    )
    lost = LeadOutcome(
        lead_id=7,
        lead_created_at=subject.created_at,
        kind="lost",
        at=NOW,
        reason=NASTY,
        received_at=NOW,
    )
    assert "&lt;!channel&gt;" in views.outcome_reply(subject, lost).text


def test_every_event_kind_has_words_in_the_timeline() -> None:
    from storage.kinds import EventKind

    assert set(views.EVENT_WORDS) == set(EventKind)
