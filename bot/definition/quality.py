"""`/leadfeedback quality [period] [source:NAME]` and `quality what-if CHANGE…`: the reports.

The figures are bot/feedback/metrics/quality.py's; this module reads them in one
consistent snapshot per answer, and parses the arguments.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.definition.whatif import WhatIf, WhatIfError, parse_what_if
from bot.feedback.metrics import quality as figures
from bot.settings import TeamConfig
from bot.timekeeping.periods import Period, PeriodError, parse_period
from storage.aggregates import consistent_snapshot
from storage.database import Database

DEFAULT_PERIOD = "90d"
SOURCE_PREFIX = "source:"
WHAT_IF = "what-if"


class QualityUsage(ValueError):
    """Arguments this subcommand can't read; the message says what was wrong."""


@dataclass(frozen=True)
class CriterionLine:
    id: str
    label: str
    met: figures.Row
    missed: figures.Row


@dataclass(frozen=True)
class QualityReport:
    period: Period
    source: str | None
    version: str
    criteria: list[CriterionLine]
    buckets: dict[str, list[figures.Row]]
    guarantee: figures.Guarantee


@dataclass(frozen=True)
class WhatIfReport:
    period: Period
    source: str | None
    changes: list[str]
    graded: figures.Pass  # every lead graded by the current version
    current: figures.Pass  # the ones the current definition passes
    changed: figures.Pass  # the ones the changed definition would pass


def split_args(
    args: list[str], team: TeamConfig, now: datetime
) -> tuple[list[str], str | None, str | None]:
    """(the other words, the period text, the source) from `[period] [source:NAME]` anywhere."""
    rest: list[str] = []
    period_text: str | None = None
    source: str | None = None
    for arg in args:
        if arg.lower().startswith(SOURCE_PREFIX):
            if source is not None:
                raise QualityUsage("Give at most one source:NAME.")
            source = arg[len(SOURCE_PREFIX) :].strip() or None
            if source is None:
                raise QualityUsage("Write the source after the colon, e.g. source:webinar-nov.")
        elif period_text is None and _is_period(arg, team, now):
            period_text = arg
        else:
            rest.append(arg)
    return rest, period_text, source


def _is_period(arg: str, team: TeamConfig, now: datetime) -> bool:
    try:
        parse_period(arg, now=now, zone=team.zone)
    except PeriodError:
        return False
    return True


def period_of(text: str | None, team: TeamConfig, now: datetime) -> Period:
    try:
        return parse_period(text, now=now, zone=team.zone, default=DEFAULT_PERIOD)
    except PeriodError as exc:
        raise QualityUsage(str(exc)) from None


async def quality_report(
    db: Database, team: TeamConfig, period: Period, source: str | None
) -> QualityReport:
    definition = team.mql_definition
    reasons = [r.id for r in team.rejection_reasons if r.definition_miss]
    async with db.session() as session:
        await consistent_snapshot(session)
        rows = await figures.quality_rows(session, period.start, period.end, source)
        guarantee = await figures.guarantee_counts(
            session, period.start, period.end, reasons, source
        )
    by_criterion = rows.criteria
    ids = [c.id for c in definition.criteria]
    # Criteria of earlier versions that leads of the period were graded by come after.
    ids += sorted({cid for cid, _ in by_criterion} - set(ids))
    lines = []
    for criterion_id in ids:
        criterion = definition.criterion(criterion_id)
        label = criterion.label if criterion else f"{criterion_id} (no longer in app.yaml)"
        lines.append(
            CriterionLine(
                criterion_id,
                label,
                by_criterion.get((criterion_id, True), figures.Row(label)),
                by_criterion.get((criterion_id, False), figures.Row(label)),
            )
        )
    return QualityReport(period, source, definition.version, lines, rows.buckets, guarantee)


async def what_if_report(
    db: Database, team: TeamConfig, period: Period, source: str | None, changes: list[str]
) -> WhatIfReport:
    try:
        what_if: WhatIf = parse_what_if(changes, team.mql_definition)
    except WhatIfError as exc:
        raise QualityUsage(f"What-if: {exc}.") from None
    version = team.mql_definition.version
    condition = figures.kept_mask_condition(what_if.kept_mask)
    for change in what_if.changes:
        if change.condition is not None:
            condition = condition & change.condition
    async with db.session() as session:
        await consistent_snapshot(session)
        common = {"version": version, "source": source}
        graded = await figures.passing(session, period.start, period.end, condition=None, **common)
        current = await figures.passing(
            session,
            period.start,
            period.end,
            condition=figures.kept_mask_condition(2 ** len(team.mql_definition.criteria) - 1),
            **common,
        )
        changed = await figures.passing(
            session, period.start, period.end, condition=condition, **common
        )
    return WhatIfReport(period, source, [c.text for c in what_if.changes], graded, current, changed)
