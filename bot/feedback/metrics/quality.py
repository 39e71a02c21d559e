"""The definition's figures: acceptance per criterion and per bucket, the guarantee, what-ifs.

Definitions (the README's "Metric definitions" is written from these):

- The leads: a period's MQLs (definitions.in_cohort: arrived in it, not withdrawn, not
  returned below the definition) that were graded (`fit_version` set at intake).
- Per criterion: the leads graded by a version that has a criterion with this id,
  split by met / missed (bit `position` of `fit_missed`, the position from
  definition_criteria).
- Buckets of the main fields: employees (1-9, 10-49, 50-199, 200-999, 1,000-4,999,
  5,000+, unknown), score (below 20, 20-39, 40-59, 60-79, 80+, unknown), industry,
  country and source as stored (unknown when empty).
- Acceptance rate = accepted / (accepted + rejected), with a 95% Wilson score
  interval; a bucket with fewer than FEW_DECIDED decided leads is marked "few".
- Won amount: the `won` outcomes of those leads, per currency, never converted.
- Credited back: rejected leads whose reason is a `definition_miss` reason and that
  missed at least one criterion. Disputes: by decision (open, upheld, overturned),
  of leads that arrived in the period. Returned: leads returned below the definition.
- What-if: over the period's leads graded by the *current* version, the leads that
  the changed definition passes (every kept criterion met, by its stored bit, and
  the new test true on the lead's columns), and of them the accepted, the won, and
  their acceptance rate; beside the same figures for the current definition.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, case, cast, func, literal
from sqlalchemy.sql import ColumnElement
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.feedback.metrics.definitions import (
    IS_ACCEPTED,
    IS_REJECTED,
    IS_WON,
    arrived,
    count_if,
    in_cohort,
    outcomes_in,
)
from storage.definition_models import DefinitionCriterion, DefinitionDispute
from storage.feedback_models import LeadOutcome
from storage.models import Lead, LeadState

Z95 = 1.959963984540054  # the 97.5th percentile of the standard normal distribution
FEW_DECIDED = 10
UNKNOWN = "unknown"
EMPLOYEE_BANDS = ((10, "1-9"), (50, "10-49"), (200, "50-199"), (1000, "200-999"))
SCORE_BANDS = ((20, "below 20"), (40, "20-39"), (60, "40-59"), (80, "60-79"))


def wilson(successes: int, trials: int) -> tuple[float, float] | None:
    """The 95% Wilson score interval of a proportion; None without trials."""
    if trials <= 0:
        return None
    p = successes / trials
    z2 = Z95 * Z95
    centre = (p + z2 / (2 * trials)) / (1 + z2 / trials)
    half = Z95 * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials)) / (1 + z2 / trials)
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass
class Row:
    """One line of the quality table: a criterion met/missed, or a bucket of a field."""

    label: str
    leads: int = 0
    accepted: int = 0
    rejected: int = 0
    won: dict[str, int] = field(default_factory=dict)

    @property
    def decided(self) -> int:
        return self.accepted + self.rejected

    @property
    def rate(self) -> float | None:
        return self.accepted / self.decided if self.decided else None

    @property
    def interval(self) -> tuple[float, float] | None:
        return wilson(self.accepted, self.decided)

    @property
    def few(self) -> bool:
        return self.decided < FEW_DECIDED


def _band(value: Any, bands: tuple[tuple[int, str], ...], top: str) -> ColumnElement[str]:
    whens = [(value.is_(None), literal(UNKNOWN))]
    whens += [(value < limit, literal(label)) for limit, label in bands]
    return case(*whens, else_=literal(top))


EMPLOYEES = case(
    (Lead.employees.is_(None), literal(UNKNOWN)),
    *[(Lead.employees < limit, literal(label)) for limit, label in EMPLOYEE_BANDS],
    (Lead.employees < 5000, literal("1,000-4,999")),
    else_=literal("5,000+"),
)
SCORE = _band(Lead.score, SCORE_BANDS, "80+")
# The buckets of the main fields, each a SQL expression over ix_leads_quality's columns.
DIMENSIONS: dict[str, ColumnElement[Any]] = {
    "employees": EMPLOYEES,
    "score": SCORE,
    "industry": func.coalesce(Lead.industry, literal(UNKNOWN)),
    "country": func.coalesce(Lead.country, literal(UNKNOWN)),
    "source": func.coalesce(Lead.source, literal(UNKNOWN)),
}
GRADED = Lead.fit_version.is_not(None)


def _graded(start: datetime, end: datetime, source: str | None) -> list[Any]:
    return [*in_cohort(start, end, source), GRADED]


def _met(missed: int | None, position: int) -> bool:
    """Bit `position` of the missed mask is clear: the criterion was met.

    A graded lead without a mask (intake stores both together, so there should be none)
    counts as missing every criterion rather than meeting it.
    """
    return missed is not None and not (missed >> position) & 1


@dataclass(frozen=True)
class QualityRows:
    """The quality table: (criterion id, met) → row, and each dimension's buckets."""

    criteria: dict[tuple[str, bool], Row]
    buckets: dict[str, list[Row]]


# One group per mask, bucket of every dimension and version: each line of the table is
# a sum of these groups, so the period's leads (and its won outcomes) are read once.
# SQLite sorts the rows to group them and a comparison stops at the first column that
# differs, so the columns with most distinct values come first and the version (the
# same for nearly every lead of a period) last: 10% faster on a quarter of 250,000 leads.
GROUP_ORDER = ("source", "industry", "country", "employees", "score")
GROUP_KEYS: list[ColumnElement[Any]] = [
    Lead.fit_missed,
    *(DIMENSIONS[name] for name in GROUP_ORDER),
    Lead.fit_version,
]


async def quality_rows(
    session: AsyncSession, start: datetime, end: datetime, source: str | None = None
) -> QualityRows:
    """Per criterion and per bucket: leads, accepted, rejected, won; one scan of each table.

    The groups are at most the product of the masks and the dimensions' buckets, and
    never more than the leads: 8,061 for the bench's quarter of 250,000 leads (40
    sources, 4 industries, 5 countries). Many free-text industries or countries
    multiply them, and every group is a row summed here.
    """
    counts = (
        await session.exec(
            select(*GROUP_KEYS, func.count(), count_if(IS_ACCEPTED), count_if(IS_REJECTED))
            .where(*_graded(start, end, source))
            .group_by(*GROUP_KEYS)
        )
    ).all()
    won = (
        await session.exec(
            select(*GROUP_KEYS, LeadOutcome.currency, func.sum(LeadOutcome.amount_cents))
            .join(Lead, Lead.id == LeadOutcome.lead_id)
            .where(
                *outcomes_in(start, end, source),
                IS_WON,
                Lead.state.not_in((LeadState.WITHDRAWN, LeadState.RETURNED)),
                GRADED,
                LeadOutcome.currency.is_not(None),
            )
            .group_by(*GROUP_KEYS, LeadOutcome.currency)
        )
    ).all()
    width = len(GROUP_KEYS)
    versions = {row[width - 1] for row in counts} | {row[width - 1] for row in won}
    table = _Table(await _positions(session, versions))
    for group in counts:
        leads, accepted, rejected = (int(n or 0) for n in group[width:])
        for row in table.rows_of(tuple(group[:width])):
            row.leads += leads
            row.accepted += accepted
            row.rejected += rejected
    for group in won:
        currency, cents = group[width], int(group[width + 1] or 0)
        for row in table.rows_of(tuple(group[:width])):
            row.won[currency] = row.won.get(currency, 0) + cents
    return table.result()


async def _positions(session: AsyncSession, versions: set[str]) -> dict[str, list[tuple[str, int]]]:
    """Each version's criteria and their bits, from the small table written at grading: an
    earlier version may have other criteria, or the same ids at other positions."""
    positions: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for version, criterion_id, position in (
        await session.exec(
            select(
                DefinitionCriterion.version,
                DefinitionCriterion.criterion_id,
                DefinitionCriterion.position,
            ).where(DefinitionCriterion.version.in_(versions))
        )
    ).all():
        positions[version].append((criterion_id, position))
    return positions


class _Table:
    """The quality table being summed: each group adds to the lines it counts towards."""

    def __init__(self, positions: dict[str, list[tuple[str, int]]]) -> None:
        self.positions = positions
        self.criteria: dict[tuple[str, bool], Row] = {}
        self.buckets: dict[str, dict[str, Row]] = {name: {} for name in DIMENSIONS}

    def rows_of(self, key: tuple[Any, ...]) -> list[Row]:
        """A criterion met or missed for each of the version's criteria, and a bucket each."""
        missed, *labels, version = key
        rows = [
            self.criteria.setdefault((criterion_id, _met(missed, position)), Row(criterion_id))
            for criterion_id, position in self.positions.get(version, ())
        ]
        for name, label in zip(GROUP_ORDER, labels, strict=True):
            rows.append(self.buckets[name].setdefault(str(label), Row(str(label))))
        return rows

    def result(self) -> QualityRows:
        return QualityRows(
            self.criteria,
            {
                name: sorted(rows.values(), key=lambda row: (-row.leads, row.label))
                for name, rows in self.buckets.items()
            },
        )


@dataclass(frozen=True)
class Guarantee:
    credited_back: int
    returned: int
    disputes_open: int
    upheld: int
    overturned: int

    @property
    def disputes(self) -> int:
        return self.disputes_open + self.upheld + self.overturned


async def guarantee_counts(
    session: AsyncSession,
    start: datetime,
    end: datetime,
    definition_miss_reasons: list[str],
    source: str | None = None,
) -> Guarantee:
    credited = count_if(
        IS_REJECTED
        & Lead.rejection_reason.in_(definition_miss_reasons or [""])
        & (Lead.fit_missed > 0)
    )
    returned = count_if(Lead.state == LeadState.RETURNED)
    counts = (
        await session.exec(select(credited, returned).where(*arrived(start, end, source)))
    ).one()
    decision = func.coalesce(DefinitionDispute.decision, literal("open"))
    disputes: Any = select(decision, func.count()).where(
        DefinitionDispute.lead_created_at >= start, DefinitionDispute.lead_created_at < end
    )
    if source is not None:
        disputes = disputes.join(Lead, Lead.id == DefinitionDispute.lead_id).where(
            func.lower(Lead.source) == source.lower()
        )
    by = dict((await session.exec(disputes.group_by(decision))).all())
    return Guarantee(
        credited_back=int(counts[0] or 0),
        returned=int(counts[1] or 0),
        disputes_open=int(by.get("open", 0)),
        upheld=int(by.get("uphold", 0)),
        overturned=int(by.get("overturn", 0)),
    )


@dataclass(frozen=True)
class Pass:
    """The leads a definition passes in a period, and what sales made of them."""

    leads: int
    accepted: int
    rejected: int
    won: int

    @property
    def rate(self) -> float | None:
        decided = self.accepted + self.rejected
        return self.accepted / decided if decided else None

    @property
    def interval(self) -> tuple[float, float] | None:
        return wilson(self.accepted, self.accepted + self.rejected)


async def passing(
    session: AsyncSession,
    start: datetime,
    end: datetime,
    *,
    version: str,
    condition: ColumnElement[bool] | None,
    source: str | None = None,
) -> Pass:
    """The period's leads graded by `version` for which `condition` holds (all when None)."""
    where = [*in_cohort(start, end, source), Lead.fit_version == version]
    if condition is not None:
        where.append(condition)
    counts = (
        await session.exec(
            select(func.count(), count_if(IS_ACCEPTED), count_if(IS_REJECTED)).where(*where)
        )
    ).one()
    won = (
        await session.exec(
            select(func.count(func.distinct(LeadOutcome.lead_id)))
            .join(Lead, Lead.id == LeadOutcome.lead_id)
            .where(*outcomes_in(start, end, source), IS_WON, *where)
        )
    ).one()
    return Pass(int(counts[0]), int(counts[1]), int(counts[2]), int(won or 0))


def kept_mask_condition(mask: int) -> ColumnElement[bool]:
    """Every criterion whose bit is in `mask` was met."""
    if mask == 0:
        return literal(True) == literal(True)
    return cast(Lead.fit_missed.op("&")(literal(mask, Integer)), Integer) == 0


def merge_won(rows: dict[Any, Row]) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for row in rows.values():
        for currency, cents in row.won.items():
            totals[currency] += cents
    return dict(totals)
