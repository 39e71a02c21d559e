"""The `quality` subcommand of /leadfeedback (marketers and admins)."""

from __future__ import annotations

from functools import partial

from bot.definition.quality import (
    WHAT_IF,
    QualityUsage,
    period_of,
    quality_report,
    split_args,
    what_if_report,
)
from bot.runtime.services import Services
from bot.runtime.subcommands import Audience, CommandRequest, Subcommand, UsageError
from messages.definition import quality_message, what_if_message
from messages.slack_message import SlackMessage


async def run_quality(services: Services, request: CommandRequest) -> SlackMessage:
    team = services.settings.team
    args = list(request.args)
    what_if = bool(args) and args[0].lower() == WHAT_IF
    try:
        now = services.clock.now()
        rest, period_text, source = split_args(args[1:] if what_if else args, team, now)
        period = period_of(period_text, team, now)
        if what_if:
            report = await what_if_report(services.db, team, period, source, rest)
            return what_if_message(report)
        if rest:
            raise QualityUsage(f"`{rest[0]}` is not a period (e.g. 90d, 2025-03, quarter).")
        return quality_message(await quality_report(services.db, team, period, source))
    except QualityUsage as exc:
        raise UsageError(str(exc)) from None


def quality_subcommand(services: Services) -> Subcommand:
    return Subcommand(
        name="quality",
        usage="quality [period] [source:NAME] | quality what-if CHANGE… [period]",
        summary="acceptance per criterion of the MQL definition and per bucket of the main "
        "fields, with 95% intervals; what-if a criterion changed",
        audience=Audience.MARKETERS,
        run=partial(run_quality, services),
        examples=["quality 90d", "quality what-if employees>=50", "quality what-if -buyer_role"],
    )
