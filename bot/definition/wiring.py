"""How the definition capability wires itself into an app (see bot/app.py)."""

from __future__ import annotations

from bot.definition import deliveries
from bot.runtime.registry import Registry
from bot.runtime.services import Services
from storage.kinds import OutboxKind


def register(registry: Registry, services: Services) -> None:
    registry.deliver(OutboxKind.DEFINITION_REVIEW_LEAD, deliveries.deliver_review_lead)
    registry.deliver(OutboxKind.DEFINITION_REVIEW_UPDATE, deliveries.deliver_review_update)
