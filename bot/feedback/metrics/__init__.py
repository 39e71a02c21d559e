"""Every figure Handoff reports, defined once.

definitions.py holds the definitions themselves (which leads count, what met
the SLA, the rates) as SQL expressions, with the README's wording in its
docstring; the other modules compose them into the figures each answer shows.
The names below are what reports, messages and tests use.
"""

from bot.feedback.metrics.definitions import (
    MEDIAN,
    P90,
    SOURCES_WITH_DETAIL,
    Sla,
    duration_cohort,
    in_cohort,
    ratio,
)
from bot.feedback.metrics.export import export_query, export_rows
from bot.feedback.metrics.first_touch import FirstTouch, first_touch
from bot.feedback.metrics.funnel import Funnel, funnel
from bot.feedback.metrics.lists import (
    DayCounts,
    LeadList,
    open_past_deadline,
    per_day,
    sla_breaches,
)
from bot.feedback.metrics.reasons import Comment, ReasonRow, rejection_reasons
from bot.feedback.metrics.sources import (
    SourceRow,
    SourcesTable,
    main_currency,
    ranked_by_acceptance,
    ranked_by_won,
    sources,
)

__all__ = [
    "MEDIAN",
    "P90",
    "SOURCES_WITH_DETAIL",
    "Comment",
    "DayCounts",
    "FirstTouch",
    "Funnel",
    "LeadList",
    "ReasonRow",
    "Sla",
    "SourceRow",
    "SourcesTable",
    "duration_cohort",
    "export_query",
    "export_rows",
    "first_touch",
    "funnel",
    "in_cohort",
    "main_currency",
    "open_past_deadline",
    "per_day",
    "ranked_by_acceptance",
    "ranked_by_won",
    "ratio",
    "rejection_reasons",
    "sla_breaches",
    "sources",
]
