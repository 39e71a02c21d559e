"""How the definition capability wires itself into an app (see bot/app.py)."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

from bot.definition import deliveries, review
from bot.definition.command import quality_subcommand
from bot.definition.sections import guarantee_section
from bot.runtime.jobs import JobName
from bot.runtime.registry import Registry
from bot.runtime.services import Services
from storage.kinds import OutboxKind

# The review is monthly; looking every few minutes is plenty and costs one date check.
REVIEW_EVERY = timedelta(minutes=5)


def register(registry: Registry, services: Services) -> None:
    registry.deliver(OutboxKind.DEFINITION_REVIEW_LEAD, deliveries.deliver_review_lead)
    registry.deliver(OutboxKind.DEFINITION_REVIEW_UPDATE, deliveries.deliver_review_update)
    registry.deliver(OutboxKind.DISPUTE_REQUEST, deliveries.deliver_dispute_request)
    registry.deliver(OutboxKind.DISPUTE_THREAD, deliveries.deliver_dispute_thread)
    registry.deliver(OutboxKind.DISPUTE_DECIDED, deliveries.deliver_dispute_decided)
    registry.deliver(OutboxKind.DEFINITION_MONTHLY, deliveries.deliver_monthly_review)
    registry.jobs.add(
        JobName.DEFINITION_REVIEW, partial(review.sweep, services), every=REVIEW_EVERY
    )
    registry.subcommands.add(quality_subcommand(services))
    registry.stats_sections.append(partial(guarantee_section, services))
    registry.digest_sections.append(partial(guarantee_section, services))
