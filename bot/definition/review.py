"""The monthly definition review: the few changes that would most raise the acceptance rate.

Each month (on `mql_definition.review.day` at `at`, team time zone, or later that month
if the bot was down) the marketing channel and each dispute manager get the two or
three candidate changes that raise the acceptance rate over `review.period` while
keeping at least `keep_accepted` of the accepted and `keep_won` of the won leads the
current definition passes, each with its what-if figures. Suggestions only: nothing
changes app.yaml. Once per month across replicas and restarts: the month is a
unique key (definition_reviews), inserted together with the posts it owes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.definition.people import managers
from bot.definition.quality import WhatIfReport, what_if_report
from bot.feedback.metrics.quality import Pass
from bot.runtime.services import Services
from bot.settings import TeamConfig
from bot.settings.definition import DefinitionReview
from bot.timekeeping.periods import parse_period
from storage.database import Database
from storage.definition_review import claim_monthly_review

EMPLOYEE_STEPS = (10, 50, 200, 1000)
SCORE_STEPS = (20, 40, 60, 80)


def due_month(now: datetime, review: DefinitionReview, zone: ZoneInfo) -> str | None:
    """The month (YYYY-MM) whose review is due at `now`, or None before its day and time."""
    local = now.astimezone(zone)
    if local.day < review.day or (local.day == review.day and local.time() < review.at):
        return None
    return f"{local.year:04d}-{local.month:02d}"


def candidates(team: TeamConfig) -> list[str]:
    """Changes worth trying: size and score thresholds, and dropping each criterion."""
    changes = [f"employees>={n}" for n in EMPLOYEE_STEPS]
    changes += [f"score>={n}" for n in SCORE_STEPS]
    changes += [f"-{c.id}" for c in team.mql_definition.criteria]
    return changes


@dataclass(frozen=True)
class Suggestion:
    change: str
    report: WhatIfReport


def keeps_enough(report: WhatIfReport, review: DefinitionReview) -> bool:
    current, changed = report.current, report.changed
    if current.rate is None or changed.rate is None or changed.rate <= current.rate:
        return False
    if changed.accepted < review.keep_accepted * current.accepted:
        return False
    return changed.won >= review.keep_won * current.won


@dataclass(frozen=True)
class ReviewResult:
    period_label: str
    current: Pass  # what the definition passes now
    graded: Pass  # every lead graded by it
    found: list[Suggestion]


async def suggestions(db: Database, team: TeamConfig, now: datetime) -> ReviewResult:
    """The best few changes, highest acceptance rate first (then most accepted kept)."""
    review = team.mql_definition.review
    period = parse_period(review.period, now=now, zone=team.zone)
    reports = [
        await what_if_report(db, team, period, None, [change]) for change in candidates(team)
    ]
    found = [Suggestion(r.changes[0], r) for r in reports if keeps_enough(r, review)]
    found.sort(key=lambda s: (-(s.report.changed.rate or 0), -s.report.changed.accepted, s.change))
    # Every report holds the same current and graded figures (the candidates are never empty).
    return ReviewResult(
        period.label, reports[0].current, reports[0].graded, found[: review.suggestions]
    )


async def sweep(services: Services) -> None:
    """Queue this month's review once, to the marketing channel and each manager's DM."""
    team = services.settings.team
    review = team.mql_definition.review
    if not review.enabled or not team.mql_definition.enabled:
        return
    month = due_month(services.clock.now(), review, team.zone)
    if month is None:
        return
    people = sorted(await services.directory.members(managers(services)))
    async with services.db.session() as session:
        queued = await claim_monthly_review(
            session,
            month,
            targets=[team.channels.marketing, *people],
            now=services.clock.now(),
        )
    if queued:
        services.outbox.wake()
