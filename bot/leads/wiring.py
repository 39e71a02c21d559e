"""How the leads capability wires itself into an app (see bot/app.py)."""

from __future__ import annotations

from functools import partial

from bot.leads import deliveries
from bot.leads.retention import SWEEP_EVERY, retention_sweep
from bot.runtime.jobs import JobName
from bot.runtime.registry import Registry
from bot.runtime.services import Services
from storage.kinds import OutboxKind


def register(registry: Registry, services: Services) -> None:
    registry.deliver(OutboxKind.POST_CARD, deliveries.deliver_card)
    registry.deliver(OutboxKind.UPDATE_CARD, deliveries.deliver_card_update)
    registry.deliver(OutboxKind.THREAD_REPLY, deliveries.deliver_thread_reply)
    registry.deliver(OutboxKind.REJECTION_NOTICE, deliveries.deliver_rejection_notice)
    registry.deliver(OutboxKind.ERASE_MESSAGE, deliveries.deliver_erase_message)
    registry.jobs.add(JobName.RETENTION, partial(retention_sweep, services), every=SWEEP_EVERY)
