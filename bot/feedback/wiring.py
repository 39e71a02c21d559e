"""How the feedback capability wires itself into an app (see bot/app.py)."""

from __future__ import annotations

from functools import partial

from bot.feedback import deliveries, digest, direct_messages
from bot.feedback.commands import subcommands
from bot.runtime.jobs import JobName
from bot.runtime.registry import Registry
from bot.runtime.services import Services
from storage.kinds import OutboxKind


def register(registry: Registry, services: Services) -> None:
    for subcommand in subcommands(services):
        registry.subcommands.add(subcommand)
    registry.jobs.add(
        JobName.WEEKLY_DIGEST, partial(digest.sweep, services), every=digest.SWEEP_EVERY
    )
    registry.deliver(OutboxKind.OUTCOME_REPLY, deliveries.deliver_outcome_reply)
    registry.deliver(
        OutboxKind.DM_HELP, partial(direct_messages.deliver_dm_help, registry.subcommands)
    )
    registry.deliver(OutboxKind.DIGEST_POST, deliveries.deliver_digest)
    registry.deliver(OutboxKind.DIGEST_THREAD, deliveries.deliver_digest_thread)
    registry.deliver(OutboxKind.DIGEST_CHART, deliveries.deliver_digest_chart)
