"""How the survey capability wires itself into an app (see bot/app.py)."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

from bot.runtime.jobs import JobName
from bot.runtime.registry import Registry
from bot.runtime.services import Services
from bot.survey import deliveries
from bot.survey.command import digest_section, subcommand
from bot.survey.jobs import sweep
from storage.kinds import OutboxKind

SWEEP_EVERY = timedelta(minutes=1)


def register(registry: Registry, services: Services) -> None:
    registry.jobs.add(JobName.SURVEY, partial(sweep, services), every=SWEEP_EVERY)
    registry.subcommands.add(subcommand(services))
    registry.digest_sections.append(partial(digest_section, services))
    registry.deliver(OutboxKind.SURVEY_DM, deliveries.deliver_dm)
    registry.deliver(OutboxKind.SURVEY_REMINDER, deliveries.deliver_reminder)
    registry.deliver(OutboxKind.SURVEY_SUMMARY, deliveries.deliver_summary)
    registry.deliver(OutboxKind.SURVEY_SUMMARY_PART, deliveries.deliver_summary_part)
