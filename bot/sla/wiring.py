"""How the sla capability wires itself into an app (see bot/app.py)."""

from __future__ import annotations

from functools import partial

from bot.runtime.jobs import JobName
from bot.runtime.registry import Registry
from bot.runtime.services import Services
from bot.sla import deliveries
from bot.sla.sweep import sla_sweep
from storage.kinds import OutboxKind


def register(registry: Registry, services: Services) -> None:
    every = services.settings.team.sla.sweep_every
    registry.jobs.add(JobName.SLA_SWEEP, partial(sla_sweep, services), every=every)
    registry.deliver(OutboxKind.SLA_NUDGE, deliveries.deliver_nudge)
    registry.deliver(OutboxKind.SLA_THREAD_NOTE, deliveries.deliver_thread_note)
    registry.deliver(OutboxKind.SLA_ESCALATION, deliveries.deliver_escalation)
    registry.deliver(OutboxKind.SLA_DM_REFRESH, deliveries.deliver_dm_refresh)
