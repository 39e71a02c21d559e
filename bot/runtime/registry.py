"""What the capabilities wire into one app: jobs, subcommands, digest sections, deliveries.

One Registry per app built by `create_app`, filled by each capability's
`register(...)`; nothing is registered by importing a module.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.runtime.deliveries import Delivery, DeliveryContext, Outcome, Sent
from bot.runtime.jobs import Jobs
from bot.runtime.subcommands import Subcommands
from storage.kinds import OutboxKind
from storage.models import OutboxMessage

# A capability's part of the weekly digest: given the week [start, end), the
# blocks to add (an empty list when it has nothing to say that week).
DigestSection = Callable[[datetime, datetime], Awaitable[list[dict[str, Any]]]]
# A capability's lines under `/leadfeedback stats`: given the period [start, end) and the
# source asked for (or None), the blocks to add (empty when it has nothing to say).
StatsSection = Callable[[datetime, datetime, str | None], Awaitable[list[dict[str, Any]]]]
# A capability's part of /healthz: a named section and the problems it sees.
HealthCheck = Callable[[], Awaitable["Section"]]


@dataclass
class Section:
    """One part of the health answer, from a capability (see Registry.health_checks)."""

    name: str
    body: dict[str, Any]
    problems: list[str] = field(default_factory=list)


# Runs before a delivery: an Outcome ends the attempt there, None lets the delivery run.
Check = Callable[[DeliveryContext, OutboxMessage], Awaitable[Outcome | None]]
# Runs in the transaction that records a delivery as sent (e.g. to queue what follows it).
Follow = Callable[[AsyncSession, OutboxMessage], Awaitable[None]]


@dataclass
class Registry:
    jobs: Jobs = field(default_factory=Jobs)
    subcommands: Subcommands = field(default_factory=Subcommands)
    digest_sections: list[DigestSection] = field(default_factory=list)
    stats_sections: list[StatsSection] = field(default_factory=list)
    deliveries: dict[OutboxKind, Delivery] = field(default_factory=dict)
    health_checks: list[HealthCheck] = field(default_factory=list)
    # Called when the app stops (e.g. to close a CRM client's connections).
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    def deliver(self, kind: OutboxKind, delivery: Delivery) -> None:
        """How outbox rows of `kind` reach Slack (or the CRM); one delivery per kind."""
        if kind in self.deliveries:
            raise ValueError(f"outbox kind {kind!r} has a delivery already")
        self.deliveries[kind] = delivery

    def before(self, kind: OutboxKind, check: Check) -> None:
        """Run `check` before `kind`'s delivery (registered earlier by another capability)."""
        delivery = self.deliveries[kind]

        async def checked(ctx: DeliveryContext, message: OutboxMessage) -> Outcome:
            outcome = await check(ctx, message)
            return outcome if outcome is not None else await delivery(ctx, message)

        self.deliveries[kind] = checked

    def after(self, kind: OutboxKind, follow: Follow) -> None:
        """Run `follow` in the transaction that records `kind`'s delivery as sent."""
        delivery = self.deliveries[kind]

        async def followed(ctx: DeliveryContext, message: OutboxMessage) -> Outcome:
            outcome = await delivery(ctx, message)
            if not isinstance(outcome, Sent):
                return outcome
            apply = outcome.apply

            async def recorded(session: AsyncSession) -> None:
                if apply is not None:
                    await apply(session)
                await follow(session, message)

            return Sent(outcome.result, recorded)

        self.deliveries[kind] = followed
