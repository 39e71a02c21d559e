"""The definition as intake's `Grading`: every path that stores leads passes this in."""

from __future__ import annotations

from bot.definition.evaluate import grade
from bot.settings import TeamConfig
from storage.definition import CriterionRow, Fit, Grading, OnMiss
from storage.lead_input import LeadIn


def grading_for(team: TeamConfig) -> Grading | None:
    """None when app.yaml sets no criteria: leads are stored without a fit."""
    definition = team.mql_definition
    if not definition.enabled:
        return None

    def fit_of(lead: LeadIn) -> Fit:
        result = grade(definition, lead)
        return Fit(
            version=result.version,
            missed=result.missed_mask,
            met=result.met_count,
            total=result.total,
            misses=tuple(result.misses),
        )

    return Grading(
        version=definition.version,
        criteria=[
            CriterionRow(c.id, c.label, {k: v for k, v in c.normalized().items() if k != "id"})
            for c in definition.criteria
        ],
        on_miss=OnMiss(definition.on_miss),
        grade=fit_of,
    )
