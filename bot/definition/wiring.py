"""How the definition capability wires itself into an app (see bot/app.py)."""

from __future__ import annotations

from functools import partial

from bot.definition import deliveries
from bot.definition.command import quality_subcommand
from bot.definition.sections import guarantee_section
from bot.runtime.registry import Registry
from bot.runtime.services import Services
from storage.kinds import OutboxKind


def register(registry: Registry, services: Services) -> None:
    registry.deliver(OutboxKind.DEFINITION_REVIEW_LEAD, deliveries.deliver_review_lead)
    registry.deliver(OutboxKind.DEFINITION_REVIEW_UPDATE, deliveries.deliver_review_update)
    registry.deliver(OutboxKind.DISPUTE_REQUEST, deliveries.deliver_dispute_request)
    registry.deliver(OutboxKind.DISPUTE_THREAD, deliveries.deliver_dispute_thread)
    registry.subcommands.add(quality_subcommand(services))
    registry.stats_sections.append(partial(guarantee_section, services))
    registry.digest_sections.append(partial(guarantee_section, services))
