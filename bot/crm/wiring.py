"""How the CRM capability wires itself into an app (see bot/app.py).

Without a CRM (`crm.provider: none`) it adds no job, no route, no check before the
card: only deliveries that drop CRM rows a previously configured CRM left behind,
with that reason, instead of leaving them pending for a delivery that never comes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial

from bot.crm import activity, poll, push, writes
from bot.crm.health import crm_health
from bot.crm.service import Crm, build_crm
from bot.runtime.deliveries import DeliveryContext, Drop, Outcome
from bot.runtime.jobs import JobName
from bot.runtime.registry import Registry
from bot.runtime.services import Services
from storage.kinds import OutboxKind
from storage.models import OutboxMessage

CRM_KINDS = (OutboxKind.CRM_FETCH, OutboxKind.CRM_WRITE, OutboxKind.CRM_NOTE)


async def _no_crm(ctx: DeliveryContext, message: OutboxMessage) -> Outcome:
    return Drop("no CRM is configured (crm.provider is none)")


def _job(crm: Crm, sweep: Callable[[Crm], Awaitable[object]]) -> Callable[[], Awaitable[None]]:
    async def run() -> None:
        await sweep(crm)

    return run


def register(registry: Registry, services: Services) -> None:
    crm = build_crm(services.settings, services.db, services.clock, wake=services.outbox.wake)
    if crm is None:
        for kind in CRM_KINDS:
            registry.deliver(kind, _no_crm)
        return
    services.crm = crm
    registry.jobs.add(JobName.CRM_POLL, _job(crm, poll.poll), every=crm.poll_every)
    registry.jobs.add(JobName.CRM_ACTIVITY, _job(crm, activity.sweep), every=crm.poll_every)
    registry.deliver(OutboxKind.CRM_FETCH, partial(push.deliver_fetch, crm))
    registry.deliver(OutboxKind.CRM_WRITE, partial(writes.deliver_write, crm))
    registry.deliver(OutboxKind.CRM_NOTE, partial(writes.deliver_note, crm))
    # Registered after the leads capability's card delivery (CAPABILITIES order).
    registry.before(OutboxKind.POST_CARD, partial(push.check_before_card, crm))
    registry.health_checks.append(partial(crm_health, crm))
    registry.closers.append(crm.connector.aclose)
