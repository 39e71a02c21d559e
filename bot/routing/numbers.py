"""Routing's numbers: `/leadfeedback reps [period]` and the digest's fairness line."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.feedback.metrics.reps import rep_figures
from bot.runtime.subcommands import CommandRequest, UsageError
from bot.timekeeping.periods import PeriodError, parse_period
from messages.routing import fairness_blocks, reps_message
from messages.slack_message import SlackMessage

if TYPE_CHECKING:
    from bot.runtime.services import Services

DEFAULT_PERIOD = "30d"


async def run_reps(services: Services, request: CommandRequest) -> SlackMessage:
    if len(request.args) > 1:
        raise UsageError(f"`{request.args[1]}` is one argument too many.")
    try:
        period = parse_period(
            request.args[0] if request.args else None,
            now=services.clock.now(),
            zone=services.settings.team.zone,
            default=DEFAULT_PERIOD,
        )
    except PeriodError as exc:
        raise UsageError(str(exc)) from None
    async with services.db.session() as session:
        rows = await rep_figures(session, period.start, period.end)
    return reps_message(rows, period.label)


async def digest_section(
    services: Services, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    if services.settings.team.routing.mode != "assign":
        return []
    async with services.db.session() as session:
        rows = await rep_figures(session, start, end)
    return fairness_blocks(rows)
